/* Unit tests for the okg CLI's pure parts: the command line (including GameServers-Updater's
 * flags from the seed's release workflow), selectors on a GameServer and its pod, the plan
 * (merge patch and diff text) and the table text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_get.h"
#include "cli/cli_json.h"
#include "cli/cli_select.h"
#include "cli/cli_update.h"

#define OLD_IMAGE "registry.cn-hangzhou.aliyuncs.com/acs/minecraft-demo:1.12.2"
#define NEW_IMAGE OLD_IMAGE "-new"

/* ---- helpers ------------------------------------------------------------------------------ */

static int parse_v(struct cli_opts *o, char *err, size_t errlen, const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = (char *)"okg";
	va_start(ap, first);
	for (a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse_args(argc, argv, "okg", o, err, errlen);
}

#define PARSE(o, err, ...) parse_v(o, err, sizeof(err), __VA_ARGS__, (const char *)NULL)

/* The parse fails with exit code 2 and err contains want. */
static void assert_usage(const char *want, const char *first, ...)
{
	char *argv[64], err[512];
	int argc = 0, rc;
	va_list ap;
	const char *a;
	struct cli_opts o;

	argv[argc++] = (char *)"okg";
	va_start(ap, first);
	for (a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	rc = cli_parse_args(argc, argv, "okg", &o, err, sizeof(err));
	if (rc != CLI_EXIT_USAGE || !strstr(err, want))
		print_message("rc %d, err [%s], want [%s]\n", rc, err, want);
	assert_int_equal(rc, CLI_EXIT_USAGE);
	assert_non_null(strstr(err, want));
	assert_null(strchr(err, '\n')); /* one line */
	cli_opts_free(&o);
}

#define USAGE(want, ...) assert_usage(want, __VA_ARGS__, (const char *)NULL)

static cJSON *json(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	if (!j)
		print_message("fixture does not parse: %s\n", text);
	assert_non_null(j);
	return j;
}

static cJSON *gs_json(const char *name, const char *ops, const char *extra_spec)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s\",\"resourceVersion\":\"7\",\"labels\":"
		 "{\"game.kruise.io/owner-gss\":\"minecraft\",\"tier\":\"gold\"}},"
		 "\"spec\":{%s%s%s%s}}",
		 name, ops ? "\"opsState\":\"" : "", ops ? ops : "", ops ? "\"" : "",
		 extra_spec ? extra_spec : "");
	return json(text);
}

static cJSON *pod_json(const char *name, const char *image, const char *status_image)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"containers\":[{\"name\":\"sidecar\","
		 "\"image\":\"probe:1\"},{\"name\":\"minecraft\",\"image\":\"%s\"}]},"
		 "\"status\":{\"containerStatuses\":[%s%s%s]}}",
		 name, image, status_image ? "{\"name\":\"minecraft\",\"image\":\"" : "",
		 status_image ? status_image : "", status_image ? "\"}" : "");
	return json(text);
}

/* ---- the command line --------------------------------------------------------------------- */

/* The seed's gs-update step, flag for flag. */
static void test_args_seed_updater_flags(void **state)
{
	struct cli_opts o;
	char err[512];

	(void)state;
	assert_int_equal(PARSE(&o, err, "update", "--gss-name=minecraft", "--namespace=default",
			       "--select-opsState=None",
			       "--select-not-container-image=minecraft/" NEW_IMAGE,
			       "--exp-opsState=WaitToBeDeleted"),
			 0);
	assert_int_equal(o.cmd, CLI_CMD_UPDATE);
	assert_int_equal(o.n_sets, 1);
	assert_string_equal(o.sets[0], "minecraft");
	assert_string_equal(o.namespace, "default");
	assert_int_equal(o.sel.n_ops_states, 1);
	assert_string_equal(o.sel.ops_states[0], "None");
	assert_int_equal(o.sel.n_not_images, 1);
	/* Split at the first '/': the image keeps its registry and path. */
	assert_string_equal(o.sel.not_images[0].container, "minecraft");
	assert_string_equal(o.sel.not_images[0].image, NEW_IMAGE);
	assert_string_equal(o.set.ops_state, "WaitToBeDeleted");
	assert_false(o.set.has_deletion_priority);
	assert_int_equal(o.set.network_disabled, -1);
	assert_false(o.dry_run);
	assert_int_equal(o.max_retries, CLI_DEFAULT_MAX_RETRIES);
	assert_int_equal(o.timeout_s, 300);
	cli_opts_free(&o);
}

/* Go's flag package forms: -flag=value, -flag value; GameServers-Updater's other flags. */
static void test_args_updater_go_style(void **state)
{
	struct cli_opts o;
	char err[512];

	(void)state;
	assert_int_equal(PARSE(&o, err, "update", "-gss-name", "pve,pvp", "-namespace=games",
			       "-select-ids=1,2,3", "-select-networkDisabled=false",
			       "-exp-networkDisabled=true", "-timeout=60"),
			 0);
	assert_int_equal(o.n_sets, 2);
	assert_string_equal(o.sets[1], "pvp");
	assert_string_equal(o.namespace, "games");
	assert_true(o.sel.has_ordinals);
	assert_int_equal(o.sel.ordinals.n, 3);
	assert_int_equal(o.sel.network_disabled, 0);
	assert_int_equal(o.set.network_disabled, 1);
	assert_int_equal(o.timeout_s, 60);
	cli_opts_free(&o);
}

static void test_args_native_flags(void **state)
{
	struct cli_opts o;
	char err[512];

	(void)state;
	assert_int_equal(
	    PARSE(&o, err, "update", "gs", "-n", "default", "--gss", "minecraft",
		  "--select-opsState=None,Maintaining", "--select-image", "minecraft/" OLD_IMAGE,
		  "--select-labels=tier=gold,zone!=b,canary,!x", "--select-ordinals=0,2,5-7",
		  "--set-deletionPriority=-5", "--set-updatePriority", "10",
		  "--set-networkDisabled=TRUE", "--dry-run", "--max-retries=0", "--allow-empty",
		  "--image-source=status", "--kubeconfig", "/tmp/kc"),
	    0);
	assert_string_equal(o.namespace, "default");
	assert_int_equal(o.sel.n_ops_states, 2);
	assert_string_equal(o.sel.ops_states[1], "Maintaining");
	assert_string_equal(o.sel.images[0].image, OLD_IMAGE);
	assert_int_equal(o.sel.n_labels, 4);
	assert_int_equal(o.sel.labels[0].op, CLI_LABEL_EQ);
	assert_string_equal(o.sel.labels[1].key, "zone");
	assert_int_equal(o.sel.labels[1].op, CLI_LABEL_NE);
	assert_int_equal(o.sel.labels[2].op, CLI_LABEL_EXISTS);
	assert_null(o.sel.labels[2].value);
	assert_int_equal(o.sel.labels[3].op, CLI_LABEL_NOT_EXISTS);
	assert_string_equal(o.sel.labels[3].key, "x");
	assert_int_equal(o.sel.ordinals.n, 5);
	assert_true(ordset_has(&o.sel.ordinals, 6));
	assert_false(ordset_has(&o.sel.ordinals, 4));
	assert_int_equal(o.set.deletion_priority, -5);
	assert_int_equal(o.set.update_priority, 10);
	assert_int_equal(o.set.network_disabled, 1);
	assert_true(o.dry_run);
	assert_true(o.allow_empty);
	assert_int_equal(o.max_retries, 0);
	assert_int_equal(o.sel.image_source, CLI_IMAGE_STATUS);
	assert_string_equal(o.kubeconfig, "/tmp/kc");
	cli_opts_free(&o);
}

static void test_args_short_and_list_forms(void **state)
{
	struct cli_opts o;
	char err[512];

	(void)state;
	/* -nNS, -o json, repeated list flags accumulate, positional names for get. */
	assert_int_equal(PARSE(&o, err, "-ngames", "get", "gs", "minecraft-1", "minecraft-2", "-o",
			       "json", "--gss=minecraft", "--select-not-image=a/x:1",
			       "--select-not-container-image=b/y:2"),
			 0);
	assert_int_equal(o.cmd, CLI_CMD_GET_GS);
	assert_string_equal(o.namespace, "games");
	assert_int_equal(o.output, CLI_OUT_JSON);
	assert_int_equal(o.n_names, 2);
	assert_string_equal(o.names[1], "minecraft-2");
	assert_int_equal(o.sel.n_not_images, 2);
	assert_string_equal(o.sel.not_images[1].container, "b");
	cli_opts_free(&o);

	assert_int_equal(PARSE(&o, err, "get", "gameserversets", "-n=default"), 0);
	assert_int_equal(o.cmd, CLI_CMD_GET_GSS);
	assert_string_equal(o.namespace, "default");
	cli_opts_free(&o);

	assert_int_equal(PARSE(&o, err, "version"), 0);
	assert_int_equal(o.cmd, CLI_CMD_VERSION);
	cli_opts_free(&o);
}

static void test_args_help(void **state)
{
	struct cli_opts o;
	char err[512];

	(void)state;
	assert_int_equal(PARSE(&o, err, "update", "--help", "--set-opsState=Gone"), 0);
	assert_true(o.help);
	assert_int_equal(o.cmd, CLI_CMD_UPDATE);
	cli_opts_free(&o);
	assert_int_equal(PARSE(&o, err, "-h"), 0);
	assert_true(o.help);
	assert_int_equal(o.cmd, CLI_CMD_NONE);
	cli_opts_free(&o);
}

static void test_args_errors(void **state)
{
	(void)state;
	USAGE("no command given", "-n", "x");
	USAGE("unknown command \"delete\"", "delete", "gs");
	USAGE("--bogus: unknown flag", "update", "--gss=a", "--bogus=1");
	USAGE("-x: unknown flag", "get", "gs", "-x");
	USAGE("get: which kind", "get");
	USAGE("unknown kind \"pods\"", "get", "pods");
	USAGE("--gss: needs a value", "update", "--gss");
	USAGE("update: --gss NAME is required", "update", "--set-opsState=None");
	USAGE("update: nothing to set", "update", "--gss=minecraft", "--select-opsState=None");
	USAGE("--all-sets: excludes --gss", "update", "--gss=a", "--all-sets",
	      "--set-opsState=None");
	USAGE("--exp-opsState: given more than once (also as --set-opsState)", "update", "--gss=a",
	      "--set-opsState=None", "--exp-opsState=Kill");
	USAGE("-n: given more than once", "update", "-n", "a", "-n", "b", "--gss=x",
	      "--set-opsState=None");
	USAGE("--set-opsState: not a flag of okg get gs", "get", "gs", "--set-opsState=None");
	USAGE("--select-opsState: not a flag of okg get gss", "get", "gss",
	      "--select-opsState=None");
	USAGE("-o: not a flag of okg update", "update", "--gss=a", "--set-opsState=None", "-o",
	      "json");
	USAGE("unknown opsState \"waittobedeleted\" (did you mean WaitToBeDeleted?)", "update",
	      "--gss=a", "--set-opsState=waittobedeleted");
	USAGE("--exp-opsState: unknown opsState \"Gone\"", "update", "--gss=a",
	      "--exp-opsState=Gone");
	USAGE("--set-deletionPriority: \"high\" is not a whole number", "update", "--gss=a",
	      "--set-deletionPriority=high");
	USAGE("--set-updatePriority: \"99999999999\" is not a whole number", "update", "--gss=a",
	      "--set-updatePriority=99999999999");
	USAGE("--set-networkDisabled: \"yes\" is not true or false", "update", "--gss=a",
	      "--set-networkDisabled=yes");
	USAGE("--dry-run: \"maybe\" is not true or false", "update", "--gss=a",
	      "--set-opsState=None", "--dry-run=maybe");
	USAGE("--max-retries: 101 is out of range [0..100]", "update", "--gss=a",
	      "--set-opsState=None", "--max-retries=101");
	USAGE("--timeout: 0 is out of range", "update", "--gss=a", "--set-opsState=None",
	      "--timeout=0");
	USAGE("--select-not-container-image: \"minecraft\" is not CONTAINER/IMAGE", "update",
	      "--gss=a", "--set-opsState=None", "--select-not-container-image=minecraft");
	USAGE("--select-image: \"Mine_craft\" is not a container name", "update", "--gss=a",
	      "--set-opsState=None", "--select-image=Mine_craft/x:1");
	USAGE("--select-image: \"/x:1\" is not CONTAINER/IMAGE", "update", "--gss=a",
	      "--set-opsState=None", "--select-image=/x:1");
	USAGE("--select-ordinals: \"3-1\" is not an ordinal range", "update", "--gss=a",
	      "--set-opsState=None", "--select-ordinals=3-1");
	USAGE("--select-ids: \"-1\" is not an ordinal", "update", "--gss=a", "--set-opsState=None",
	      "--select-ids=-1");
	USAGE("--select-ids: \"x\" is not an ordinal", "update", "--gss=a", "--set-opsState=None",
	      "--select-ids=1,x");
	USAGE("--select-labels: \"a in (b)\" is not supported", "update", "--gss=a",
	      "--set-opsState=None", "--select-labels=a in (b)");
	USAGE("--select-labels: \"a@b\" is not a label key", "update", "--gss=a",
	      "--set-opsState=None", "--select-labels=a@b=c");
	USAGE("--select-opsState: empty item", "update", "--gss=a", "--set-opsState=None",
	      "--select-opsState=None,,Allocated");
	USAGE("--image-source: \"pod\" is not spec or status", "update", "--gss=a",
	      "--set-opsState=None", "--image-source=pod");
	USAGE("-o: \"yaml\" is not table or json", "get", "gs", "-o", "yaml");
	USAGE("--gss: \"Mine/craft\" is not a valid GameServerSet name", "update",
	      "--gss=Mine/craft", "--set-opsState=None");
	USAGE("--namespace: \"a?b\" is not a valid namespace", "get", "gs", "--namespace=a?b");
	USAGE("update: unexpected argument \"minecraft-1\"", "update", "minecraft-1", "--gss=a",
	      "--set-opsState=None");
}

/* ---- selectors ---------------------------------------------------------------------------- */

static struct cli_select parse_sel(const char *first, ...)
{
	char *argv[32], err[512];
	int argc = 0;
	va_list ap;
	const char *a;
	struct cli_opts o;
	struct cli_select s;

	argv[argc++] = (char *)"okg";
	argv[argc++] = (char *)"get";
	argv[argc++] = (char *)"gs";
	va_start(ap, first);
	for (a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	if (cli_parse_args(argc, argv, "okg", &o, err, sizeof(err)) != 0)
		print_message("parse: %s\n", err);
	s = o.sel;
	memset(&o.sel, 0, sizeof(o.sel)); /* s takes the selectors */
	cli_opts_free(&o);
	return s;
}

#define SEL(...) parse_sel(__VA_ARGS__, (const char *)NULL)

static void test_select_seed_release(void **state)
{
	struct cli_select s =
	    SEL("--select-opsState=None", "--select-not-container-image=minecraft/" NEW_IMAGE);
	cJSON *gs0 = gs_json("minecraft-0", "Allocated", NULL);
	cJSON *gs1 = gs_json("minecraft-1", "None", NULL);
	cJSON *gs3 = gs_json("minecraft-3", NULL, NULL); /* opsState unset reads as None */
	cJSON *old = pod_json("minecraft-1", OLD_IMAGE, OLD_IMAGE);
	cJSON *new = pod_json("minecraft-3", NEW_IMAGE, NEW_IMAGE);
	char why[256];

	(void)state;
	assert_false(cli_select_match(&s, "minecraft", gs0, old, why, sizeof(why)));
	assert_string_equal(why, "opsState is Allocated");
	assert_true(cli_select_match(&s, "minecraft", gs1, old, why, sizeof(why)));
	assert_string_equal(why, "");
	assert_false(cli_select_match(&s, "minecraft", gs3, new, why, sizeof(why)));
	assert_string_equal(why, "container minecraft runs " NEW_IMAGE);
	/* No pod: the image is unknown, so not selected (never retire what we cannot see). */
	assert_false(cli_select_match(&s, "minecraft", gs1, NULL, why, sizeof(why)));
	assert_string_equal(why, "no pod, so its image is unknown");
	assert_true(cli_select_needs_pods(&s));
	cJSON_Delete(gs0);
	cJSON_Delete(gs1);
	cJSON_Delete(gs3);
	cJSON_Delete(old);
	cJSON_Delete(new);
	cli_select_free(&s);
}

static void test_select_images(void **state)
{
	struct cli_select eq = SEL("--select-image=minecraft/" OLD_IMAGE);
	struct cli_select eq2 = SEL("--select-image=minecraft/" OLD_IMAGE ",sidecar/probe:2");
	struct cli_select ne_missing = SEL("--select-not-image=gate/gate:1");
	struct cli_select st = SEL("--select-image=minecraft/" OLD_IMAGE, "--image-source=status");
	struct cli_select st_ne =
	    SEL("--select-not-image=minecraft/" NEW_IMAGE, "--image-source=status");
	cJSON *gs = gs_json("minecraft-1", NULL, NULL);
	/* An in-place update pending: spec says new, the kubelet still runs old. */
	cJSON *pending = pod_json("minecraft-1", NEW_IMAGE, OLD_IMAGE);
	cJSON *starting = pod_json("minecraft-1", OLD_IMAGE, NULL);
	cJSON *plain = pod_json("minecraft-1", OLD_IMAGE, OLD_IMAGE);
	char why[256];

	(void)state;
	assert_true(cli_select_match(&eq, NULL, gs, plain, NULL, 0));
	assert_false(cli_select_match(&eq, NULL, gs, pending, why, sizeof(why)));
	assert_string_equal(why, "container minecraft runs " NEW_IMAGE);
	/* Every entry must hold. */
	assert_false(cli_select_match(&eq2, NULL, gs, plain, why, sizeof(why)));
	assert_string_equal(why, "container sidecar runs probe:1");
	/* A container the pod does not have does not run the image. */
	assert_true(cli_select_match(&ne_missing, NULL, gs, plain, NULL, 0));
	/* --image-source=status reads containerStatuses. */
	assert_true(cli_select_match(&st, NULL, gs, pending, NULL, 0));
	assert_true(cli_select_match(&st_ne, NULL, gs, pending, NULL, 0));
	assert_false(cli_select_match(&st, NULL, gs, starting, why, sizeof(why)));
	assert_string_equal(why, "container minecraft runs no known image");
	assert_false(cli_select_match(&st_ne, NULL, gs, starting, why, sizeof(why)));
	assert_string_equal(why, "container minecraft has not reported its image");
	cJSON_Delete(gs);
	cJSON_Delete(pending);
	cJSON_Delete(starting);
	cJSON_Delete(plain);
	cli_select_free(&eq);
	cli_select_free(&eq2);
	cli_select_free(&ne_missing);
	cli_select_free(&st);
	cli_select_free(&st_ne);
}

static void test_select_labels_ordinals_network(void **state)
{
	struct cli_select lab = SEL("-l", "tier=gold,zone!=b,game.kruise.io/owner-gss,!canary");
	struct cli_select lab_ne = SEL("--selector=tier!=gold");
	struct cli_select lab_ex = SEL("--select-labels=!tier");
	struct cli_select ord = SEL("--select-ordinals=0,2,5-7");
	struct cli_select nd = SEL("--select-networkDisabled=true");
	struct cli_select ops = SEL("--select-opsState=Maintaining,Allocated");
	cJSON *gs2 = gs_json("minecraft-2", "Maintaining", ",\"networkDisabled\":true");
	cJSON *gs3 = gs_json("minecraft-3", "None", NULL);
	cJSON *other = gs_json("lobby-2", "None", NULL);
	char why[256];

	(void)state;
	assert_true(cli_select_match(&lab, "minecraft", gs2, NULL, NULL, 0));
	assert_false(cli_select_match(&lab_ne, "minecraft", gs2, NULL, why, sizeof(why)));
	assert_string_equal(why, "label tier is gold");
	assert_false(cli_select_match(&lab_ex, "minecraft", gs2, NULL, why, sizeof(why)));
	assert_string_equal(why, "has label tier");
	assert_true(cli_select_match(&ord, "minecraft", gs2, NULL, NULL, 0));
	assert_false(cli_select_match(&ord, "minecraft", gs3, NULL, why, sizeof(why)));
	assert_string_equal(why, "ordinal not selected");
	/* The ordinal comes from the owner label's set: lobby-2 owned by minecraft is none. */
	assert_false(cli_select_match(&ord, "minecraft", other, NULL, NULL, 0));
	assert_true(cli_select_match(&nd, "minecraft", gs2, NULL, NULL, 0));
	assert_false(cli_select_match(&nd, "minecraft", gs3, NULL, why, sizeof(why)));
	assert_string_equal(why, "networkDisabled is false");
	assert_true(cli_select_match(&ops, "minecraft", gs2, NULL, NULL, 0));
	assert_false(cli_select_match(&ops, "minecraft", gs3, NULL, why, sizeof(why)));
	assert_string_equal(why, "opsState is None");
	assert_false(cli_select_needs_pods(&ops));
	cJSON_Delete(gs2);
	cJSON_Delete(gs3);
	cJSON_Delete(other);
	cli_select_free(&lab);
	cli_select_free(&lab_ne);
	cli_select_free(&lab_ex);
	cli_select_free(&ord);
	cli_select_free(&nd);
	cli_select_free(&ops);
}

static void test_select_parsers(void **state)
{
	struct cli_image_sel *imgs = NULL;
	size_t n = 0;
	struct ordset s;
	char err[256];

	(void)state;
	/* A registry with a port and a digest: still split at the first '/'. */
	assert_int_equal(cli_parse_images("--f", " c/reg.example:5000/a/b@sha256:00 , d/e ", &imgs,
					  &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(imgs[0].container, "c");
	assert_string_equal(imgs[0].image, "reg.example:5000/a/b@sha256:00");
	assert_string_equal(imgs[1].image, "e");
	for (size_t i = 0; i < n; i++) {
		free(imgs[i].container);
		free(imgs[i].image);
	}
	free(imgs);

	ordset_init(&s);
	assert_int_equal(cli_parse_ordinals("--f", "7, 1-3,2", &s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(cli_parse_ordinals("--f", "0-1000000", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(cli_parse_ordinals("--f", "1-", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(cli_parse_ordinals("--f", "", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--f: needs ordinals (0,2,5-7)");
	ordset_free(&s);
}

/* ---- the plan ----------------------------------------------------------------------------- */

static void test_plan(void **state)
{
	struct cli_setters set = {.ops_state = (char *)"WaitToBeDeleted",
				  .has_deletion_priority = true,
				  .deletion_priority = 10,
				  .network_disabled = 1};
	cJSON *gs = gs_json("minecraft-1", NULL, "\"deletionPriority\":\"0\"");
	cJSON *patch;
	struct cli_plan p;

	(void)state;
	assert_int_equal(cli_plan_gs(&set, gs, &p), 0);
	assert_non_null(p.patch);
	assert_string_equal(p.diff, "opsState None -> WaitToBeDeleted, deletionPriority 0 -> 10, "
				    "networkDisabled false -> true");
	patch = json(p.patch);
	assert_string_equal(cli_jstr(patch, "metadata.resourceVersion"), "7");
	assert_string_equal(cli_jstr(patch, "spec.opsState"), "WaitToBeDeleted");
	assert_int_equal(cli_jint(patch, "spec.deletionPriority", -1), 10);
	assert_true(cJSON_IsTrue(cli_jget(patch, "spec.networkDisabled")));
	assert_null(cli_jget(patch, "spec.updatePriority"));
	assert_null(cli_jget(patch, "status"));
	cJSON_Delete(patch);
	cli_plan_free(&p);
	cJSON_Delete(gs);

	/* Already set (a priority written as the string "10" equals 10): nothing to patch. */
	gs = gs_json("minecraft-1", "WaitToBeDeleted",
		     ",\"deletionPriority\":\"10\",\"networkDisabled\":true");
	assert_int_equal(cli_plan_gs(&set, gs, &p), 0);
	assert_null(p.patch);
	assert_null(p.diff);
	cli_plan_free(&p);
	cJSON_Delete(gs);

	/* Only what differs. */
	gs = gs_json("minecraft-1", "WaitToBeDeleted", ",\"deletionPriority\":3");
	assert_int_equal(cli_plan_gs(&set, gs, &p), 0);
	assert_string_equal(p.diff, "deletionPriority 3 -> 10, networkDisabled false -> true");
	cli_plan_free(&p);
	cJSON_Delete(gs);

	gs = json("{\"spec\":{}}");
	assert_int_equal(cli_plan_gs(&set, gs, &p), -EINVAL);
	cli_plan_free(&p);
	cJSON_Delete(gs);
}

/* ---- views -------------------------------------------------------------------------------- */

static void test_texts(void **state)
{
	cJSON *one = json("[{\"name\":\"a\",\"image\":\"x:1\"}]");
	cJSON *two = json("[{\"name\":\"a\",\"image\":\"x:1\"},{\"name\":\"b\"}]");
	cJSON *gs = json("{\"status\":{\"serviceQualitiesConditions\":[{\"name\":\"healthy\","
			 "\"status\":\"True\",\"result\":\"ok\"},{\"name\":\"idle\",\"status\":"
			 "\"False\"},{\"status\":\"True\"}]}}");
	char *s;

	(void)state;
	s = cli_images_text(one);
	assert_string_equal(s, "x:1");
	free(s);
	s = cli_images_text(two);
	assert_string_equal(s, "a=x:1,b=-");
	free(s);
	s = cli_images_text(NULL);
	assert_string_equal(s, "-");
	free(s);
	s = cli_probes_text(gs);
	assert_string_equal(s, "healthy=True/ok,idle=False");
	free(s);
	s = cli_probes_text(one);
	assert_string_equal(s, "-");
	free(s);
	cJSON_Delete(one);
	cJSON_Delete(two);
	cJSON_Delete(gs);
}

static void test_table(void **state)
{
	static const char *const header[] = {"NAME", "STATE", "X"};
	static const char *const row[] = {"minecraft-10", NULL, "last"};
	struct cli_table t;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(cli_table_init(&t, header, 3), 0);
	assert_int_equal(cli_table_add(&t, row), 0);
	cli_table_print(&t, f);
	fclose(f);
	assert_string_equal(text, "NAME           STATE   X\n"
				  "minecraft-10           last\n");
	free(text);
	cli_table_free(&t);
	cli_table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args_seed_updater_flags),
	    cmocka_unit_test(test_args_updater_go_style),
	    cmocka_unit_test(test_args_native_flags),
	    cmocka_unit_test(test_args_short_and_list_forms),
	    cmocka_unit_test(test_args_help),
	    cmocka_unit_test(test_args_errors),
	    cmocka_unit_test(test_select_seed_release),
	    cmocka_unit_test(test_select_images),
	    cmocka_unit_test(test_select_labels_ordinals_network),
	    cmocka_unit_test(test_select_parsers),
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_texts),
	    cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
