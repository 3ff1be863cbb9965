/* Unit tests for lib/config.c (flags, environment, defaults). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/config.h"
#include "lib/log.h"

/* The sentinel ending parse()'s argument list. */
#define END ((char *)NULL)

static char *s_kubeconfig, *s_name, *s_token;
static long i_port, i_workers, i_neg;
static bool b_verbose, b_dry;

static const struct cfg_opt opts[] = {
    {"kubeconfig", "OKGT_KUBECONFIG", CFG_STR, NULL, 0, 0, &s_kubeconfig, "kubeconfig path", false},
    {"name", "OKGT_NAME", CFG_STR, "okg", 0, 0, &s_name, "instance name", false},
    {"port", "OKGT_PORT", CFG_INT, "8080", 1, 65535, &i_port, "listen port", false},
    {"workers", NULL, CFG_INT, "4", 1, 64, &i_workers, "worker threads", false},
    {"offset", "OKGT_OFFSET", CFG_INT, "-5", -10, 10, &i_neg, NULL, false},
    {"verbose", "OKGT_VERBOSE", CFG_BOOL, "false", 0, 0, &b_verbose, "log more", false},
    {"dry-run", NULL, CFG_BOOL, NULL, 0, 0, &b_dry, "change nothing", false},
    {"token", "OKGT_TOKEN", CFG_STR, NULL, 0, 0, &s_token, "bearer token", true},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char *const env_names[] = {"OKGT_KUBECONFIG", "OKGT_NAME",	   "OKGT_PORT",
					"OKGT_OFFSET",	   "OKGT_VERBOSE", "OKGT_TOKEN"};

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
	s_kubeconfig = s_name = s_token = NULL;
	i_port = i_workers = i_neg = -999;
	b_verbose = b_dry = false;
	return 0;
}

static int teardown(void **state)
{
	cfg_free(opts, NOPTS);
	return setup(state);
}

/* Parses argv (NULL-terminated, argv[0] included). */
static int parse(char *err, size_t errlen, FILE *out, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	char *a;

	va_start(ap, out);
	while ((a = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	return cfg_parse(opts, NOPTS, argc, argv, out, err, errlen);
}

static int count_lines(const char *s)
{
	int n = *s ? 1 : 0;

	for (; *s; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void test_defaults(void **state)
{
	char err[512] = "garbage";

	(void)state;
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", END), 0);
	assert_string_equal(err, "");
	assert_null(s_kubeconfig);
	assert_string_equal(s_name, "okg");
	assert_int_equal(i_port, 8080);
	assert_int_equal(i_workers, 4);
	assert_int_equal(i_neg, -5);
	assert_false(b_verbose);
	assert_false(b_dry);
	assert_null(s_token);
}

static void test_env_overrides_default(void **state)
{
	char err[512];

	(void)state;
	setenv("OKGT_KUBECONFIG", "/etc/kube.yaml", 1);
	setenv("OKGT_NAME", "from-env", 1);
	setenv("OKGT_PORT", "9090", 1);
	setenv("OKGT_OFFSET", "-10", 1);
	setenv("OKGT_VERBOSE", "YES", 1);
	setenv("OKGT_TOKEN", "s3cret", 1);
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", END), 0);
	assert_string_equal(err, "");
	assert_string_equal(s_kubeconfig, "/etc/kube.yaml");
	assert_string_equal(s_name, "from-env");
	assert_int_equal(i_port, 9090);
	assert_int_equal(i_neg, -10);
	assert_int_equal(i_workers, 4);
	assert_true(b_verbose);
	assert_string_equal(s_token, "s3cret");
	cfg_free(opts, NOPTS);

	/* an empty string variable still counts for a string option */
	setenv("OKGT_NAME", "", 1);
	setenv("OKGT_VERBOSE", "0", 1);
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", END), 0);
	assert_string_equal(s_name, "");
	assert_false(b_verbose);
}

static void test_flag_overrides_env(void **state)
{
	char err[512];

	(void)state;
	setenv("OKGT_NAME", "from-env", 1);
	setenv("OKGT_PORT", "9090", 1);
	setenv("OKGT_VERBOSE", "true", 1);
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--name", "from-flag", "--port=7070",
			       "--verbose=false", END),
			 0);
	assert_string_equal(err, "");
	assert_string_equal(s_name, "from-flag");
	assert_int_equal(i_port, 7070);
	assert_false(b_verbose);
	cfg_free(opts, NOPTS);

	/* the last of repeated flags wins */
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--port", "1", "--port=2",
			       "--name=a", "--name", "b", END),
			 0);
	assert_int_equal(i_port, 2);
	assert_string_equal(s_name, "b");
}

static void test_flag_forms(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--kubeconfig=/a=b", "--workers",
			       "64", "--offset", "-3", "--name=", "--token", "--not-a-flag", END),
			 0);
	assert_string_equal(err, "");
	assert_string_equal(s_kubeconfig, "/a=b"); /* only the first '=' separates */
	assert_int_equal(i_workers, 64);
	assert_int_equal(i_neg, -3);		      /* a negative value after a space */
	assert_string_equal(s_name, "");	      /* --x= sets the empty string */
	assert_string_equal(s_token, "--not-a-flag"); /* a value is taken as is */
}

static void test_bool_flag(void **state)
{
	char err[512];
	const char *const yes[] = {"--dry-run", "--dry-run=true", "--dry-run=1", "--dry-run=YES",
				   "--dry-run=True"};
	const char *const no[] = {"--dry-run=false", "--dry-run=0", "--dry-run=no",
				  "--dry-run=FALSE"};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b_dry = false;
		assert_int_equal(parse(err, sizeof(err), NULL, "prog", yes[i], END), 0);
		assert_true(b_dry);
		cfg_free(opts, NOPTS);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b_dry = true;
		assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--dry-run", no[i], END), 0);
		assert_false(b_dry);
		cfg_free(opts, NOPTS);
	}
	/* a bool flag alone does not swallow the next flag */
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--verbose", "--port", "1", END), 0);
	assert_true(b_verbose);
	assert_int_equal(i_port, 1);
	cfg_free(opts, NOPTS);
	/* nor a following word: that is a positional argument */
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--verbose", "false", END), -EINVAL);
	assert_non_null(strstr(err, "\"false\""));
}

static void test_all_errors_together(void **state)
{
	char err[2048] = "";
	int lines;

	(void)state;
	setenv("OKGT_PORT", "http", 1);
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--bogus=1", "--port", "12ab",
			       "--workers=65", "extra", "--offset=-11", "--verbose=maybe",
			       "--name=x", "--nope", END),
			 -EINVAL);
	print_message("err:\n%s\n", err);
	lines = count_lines(err);
	assert_int_equal(lines, 8);
	assert_true(err[strlen(err) - 1] != '\n'); /* no trailing newline */
	assert_non_null(strstr(err, "OKGT_PORT")); /* the bad environment value, by name */
	assert_non_null(strstr(err, "\"http\""));
	assert_non_null(strstr(err, "--bogus"));
	assert_non_null(strstr(err, "\"12ab\""));
	assert_non_null(strstr(err, "65"));
	assert_non_null(strstr(err, "[1, 64]"));
	assert_non_null(strstr(err, "\"extra\""));
	assert_non_null(strstr(err, "-11"));
	assert_non_null(strstr(err, "\"maybe\""));
	assert_non_null(strstr(err, "--nope"));
	/* on failure the strings are released */
	assert_null(s_name);
	assert_null(s_kubeconfig);
}

static void test_number_errors(void **state)
{
	const char *const bad[] = {
	    "--port=",	    "--port=1.5", "--port=0x10", "--port=0",
	    "--port=65536", "--port=-1",  "--port= 80x", "--port=99999999999999999999999"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";

		assert_int_equal(parse(err, sizeof(err), NULL, "prog", bad[i], END), -EINVAL);
		if (!strstr(err, "port"))
			fail_msg("%s: err \"%s\"", bad[i], err);
		assert_int_equal(count_lines(err), 1);
	}
	/* the range ends are inclusive */
	{
		char err[512];

		assert_int_equal(
		    parse(err, sizeof(err), NULL, "prog", "--port=1", "--offset=10", END), 0);
		assert_int_equal(i_port, 1);
		assert_int_equal(i_neg, 10);
		cfg_free(opts, NOPTS);
		assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--port=65535", END), 0);
		assert_int_equal(i_port, 65535);
	}
}

static void test_missing_value(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--name", END), -EINVAL);
	assert_non_null(strstr(err, "--name"));
	assert_non_null(strstr(err, "value"));
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--port=2", "--port", END), -EINVAL);
	assert_non_null(strstr(err, "--port"));
}

static void test_positional(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "run", END), -EINVAL);
	assert_non_null(strstr(err, "\"run\""));
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "-port", "1", END), -EINVAL);
	assert_non_null(strstr(err, "-port"));
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--", END), -EINVAL);
	assert_true(err[0] != '\0');
}

static char *read_all(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

static void test_help(void **state)
{
	const char *const forms[] = {"--help", "-h"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char err[512] = "";
		FILE *f = tmpfile();
		char *text;

		assert_non_null(f);
		assert_int_equal(
		    parse(err, sizeof(err), f, "okg-test", "--port=3", forms[i], "--bogus", END),
		    1);
		text = read_all(f);
		assert_non_null(strstr(text, "usage: okg-test"));
		assert_non_null(strstr(text, "--kubeconfig"));
		assert_non_null(strstr(text, "kubeconfig path"));
		assert_non_null(strstr(text, "--port"));
		assert_non_null(strstr(text, "[1..65535]"));
		assert_non_null(strstr(text, "(default 8080)"));
		assert_non_null(strstr(text, "(env OKGT_PORT)"));
		assert_non_null(strstr(text, "--dry-run"));
		assert_non_null(strstr(text, "--token"));
		assert_int_equal(count_lines(text), (int)NOPTS + 2); /* usage + one per flag + "" */
		free(text);
		fclose(f);
		cfg_free(opts, NOPTS);
	}
}

static void test_usage_fmemopen(void **state)
{
	char mem[4096];
	FILE *f;

	(void)state;
	memset(mem, 0, sizeof(mem));
	f = fmemopen(mem, sizeof(mem) - 1, "w");
	assert_non_null(f);
	cfg_usage(f, "x", opts, NOPTS);
	fclose(f);
	assert_true(strncmp(mem, "usage: x [flags]\n", 17) == 0);
	assert_non_null(strstr(mem, "--offset"));
	assert_non_null(strstr(mem, "[-10..10] (default -5)"));
}

static void test_cfg_free(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(
	    parse(err, sizeof(err), NULL, "prog", "--kubeconfig", "/k", "--token=t", END), 0);
	assert_non_null(s_kubeconfig);
	assert_non_null(s_name);
	assert_non_null(s_token);
	cfg_free(opts, NOPTS);
	assert_null(s_kubeconfig);
	assert_null(s_name);
	assert_null(s_token);
	cfg_free(opts, NOPTS); /* twice is harmless */
}

/* A too small err buffer is truncated, never overrun (not even one byte before it). */
static void test_small_err_buffer(void **state)
{
	struct {
		char guard;
		char err[1];
		char after[8];
	} g;
	char small[8];

	(void)state;
	memset(&g, '\n', sizeof(g));
	assert_int_equal(cfg_parse(opts, NOPTS, 2, (char *[]){"prog", "--bogus", NULL}, NULL, g.err,
				   sizeof(g.err)),
			 -EINVAL);
	assert_int_equal(g.err[0], '\0');
	assert_int_equal(g.guard, '\n');
	assert_int_equal(g.after[0], '\n');

	assert_int_equal(parse(small, sizeof(small), NULL, "prog", "--bogus", END), -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	/* err may be NULL */
	assert_int_equal(parse(NULL, 0, NULL, "prog", "--bogus", END), -EINVAL);
}

/* cfg_log writes one line to stderr; a secret's value never appears in it. */
static void test_log_redacts_secret(void **state)
{
	char err[512];
	FILE *f = tmpfile();
	int saved;
	char *text;

	(void)state;
	assert_non_null(f);
	log_init("test", LOG_INFO);
	assert_int_equal(parse(err, sizeof(err), NULL, "prog", "--token=hunter2-secret",
			       "--name=with space", END),
			 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), 2) >= 0);
	cfg_log(opts, NOPTS);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fseek(f, 0, SEEK_END);
	text = read_all(f);
	assert_non_null(strstr(text, "event=config"));
	assert_non_null(strstr(text, "port=8080"));
	assert_non_null(strstr(text, "verbose=false"));
	assert_non_null(strstr(text, "name=\"with space\""));
	assert_non_null(strstr(text, "token=<redacted>"));
	assert_null(strstr(text, "hunter2"));
	assert_int_equal(count_lines(text), 2); /* one line and its newline */
	free(text);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_env_overrides_default, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flag_overrides_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flag_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bool_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_errors_together, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_number_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_value, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_positional, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_help, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usage_fmemopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cfg_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_small_err_buffer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log_redacts_secret, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
