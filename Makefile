# okg: one non-recursive Makefile. `make` builds every binary into build/.
#   make WERROR=1                      warnings are errors (CI)
#   make SANITIZE=address,undefined    sanitizer build (own build dir)
#   make V=1                           show full commands
CC ?= cc
CFLAGS ?= -O2 -g
PKGS := libmicrohttpd gnutls libcurl libcjson openssl yaml-0.1 libnghttp2
STD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough \
	-Wno-missing-field-initializers
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong

BUILD := build
ifneq ($(SANITIZE),)
BUILD := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
HARDEN :=
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

DEPS_OK := $(BUILD)/.deps-ok
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(STD) $(WARN) $(HARDEN) $(CFLAGS) $(SANFLAGS) -I. $(PKG_CFLAGS) -MMD -MP
LDLIBS = $(PKG_LIBS) -lpthread -lm
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A := $(BUILD)/libokg.a

# Each program directory holds one binary (main.c) plus modules that unit tests link too.
NODESIM_SRC := $(wildcard test/nodesim/*.c)
NODESIM_OBJ := $(NODESIM_SRC:%.c=$(BUILD)/%.o)
WEBHOOK_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard webhook/*.c))
CONTROLLER_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard controller/*.c))
CERTS_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard certs/*.c))
PROBE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard probe/*.c))
CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c))
PROGRAM_OBJ := $(NODESIM_OBJ) $(WEBHOOK_OBJ) $(CONTROLLER_OBJ) $(CERTS_OBJ) $(PROBE_OBJ) $(CLI_OBJ)
MODULE_OBJ := $(filter-out %/main.o,$(PROGRAM_OBJ))

UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%)
UNIT_SUPPORT_SRC := $(filter-out $(UNIT_SRC),$(wildcard test/unit/*.c))
UNIT_SUPPORT_OBJ := $(UNIT_SUPPORT_SRC:%.c=$(BUILD)/%.o)

FUZZ_SRC := $(wildcard test/fuzz/fuzz_*.c)
# Corpus replay binaries: the fuzz targets with a plain main(), built with the normal compiler.
FUZZ_REPLAY := $(FUZZ_SRC:test/fuzz/%.c=$(BUILD)/fuzz-replay/%)
# libFuzzer binaries: clang only, built on demand by `make fuzz`.
FUZZ_BIN := $(FUZZ_SRC:test/fuzz/%.c=build/fuzz/%)

BINS := $(BUILD)/okg-nodesim
BINS += $(if $(wildcard webhook/main.c),$(BUILD)/okg-webhook)
BINS += $(if $(wildcard controller/main.c),$(BUILD)/okg-controller)
BINS += $(if $(wildcard certs/main.c),$(BUILD)/okg-certs)
BINS += $(if $(wildcard probe/main.c),$(BUILD)/okg-probe)
BINS += $(if $(wildcard cli/main.c),$(BUILD)/okg $(BUILD)/kubectl-okg)

# Keep intermediate objects (test and fuzz objects are only prerequisites of binaries).
.SECONDARY:

.PHONY: all deps bench-% test test-unit test-fuzz-replay test-e2e bench fuzz lint format demo clean kube
all: $(BINS)

# Dependencies: installed by hack/install-deps.sh (prints the exact command when not root).
$(DEPS_OK): hack/install-deps.sh
	$(Q)hack/install-deps.sh $(DEPS_PROFILE)
	$(Q)mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c $(DEPS_OK)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/okg-nodesim: $(NODESIM_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/okg-webhook: $(WEBHOOK_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/okg-controller: $(CONTROLLER_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/okg-certs: $(CERTS_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/okg-probe: $(PROBE_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/okg: $(CLI_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# kubectl finds plugins as kubectl-NAME on PATH: `kubectl okg ...` runs the same binary.
$(BUILD)/kubectl-okg: $(BUILD)/okg
	$(Q)ln -sf okg $@

$(BUILD)/test/%: $(BUILD)/test/unit/%.o $(UNIT_SUPPORT_OBJ) $(MODULE_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/fuzz-replay/%: $(BUILD)/test/fuzz/%.o $(BUILD)/test/fuzz/replay_main.o $(MODULE_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test/fuzz/replay_main.o: test/fuzz/replay_main.c $(DEPS_OK)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# --- tests -----------------------------------------------------------------------------------
test: all $(UNIT_BIN) $(FUZZ_REPLAY)
	$(Q)test/run-tests.sh --build $(BUILD) all

test-unit: $(UNIT_BIN) $(FUZZ_REPLAY)
	$(Q)test/run-tests.sh --build $(BUILD) unit

test-e2e: all
	$(Q)test/run-tests.sh --build $(BUILD) e2e

# --- fuzzing (libFuzzer, clang) ---------------------------------------------------------------
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -g -O1
FUZZ_MODULE_SRC = $(filter-out %/main.c,$(wildcard webhook/*.c controller/*.c certs/*.c probe/*.c cli/*.c test/nodesim/*.c))
build/fuzz/%: test/fuzz/%.c $(LIB_SRC) $(FUZZ_MODULE_SRC) $(DEPS_OK)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang $(STD) -I. $(PKG_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(FUZZ_MODULE_SRC) $(LDLIBS)

fuzz: $(FUZZ_BIN)
	$(Q)for f in $(FUZZ_BIN); do n=$${f##*/}; mkdir -p test/fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 test/fuzz/corpus/$$n || exit 1; done

# --- benchmarks ---------------------------------------------------------------------------------
bench-%: all
	$(Q)hack/install-deps.sh --with-bench
	$(Q)bench/$*.sh

bench: all
	$(Q)hack/install-deps.sh --with-bench
	$(Q)if ls bench/*.sh >/dev/null 2>&1; then for b in bench/*.sh; do $$b || exit 1; done; \
		else echo "bench: no benchmarks yet"; fi

# --- style ------------------------------------------------------------------------------------
C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
lint: $(DEPS_OK)
	$(Q)hack/lint.sh

format:
	$(Q)clang-format -i $(C_FILES)

# --- the local control plane ------------------------------------------------------------------
kube:
	$(Q)hack/kube-build.sh >/dev/null

demo: all
	$(Q)hack/demo.sh $(DEMO_ARGS)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(PROGRAM_OBJ:.o=.d) $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/unit/%.d)
