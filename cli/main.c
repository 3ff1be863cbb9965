/* okg: the command line for GameServerSets and GameServers (game.kruise.io/v1alpha1).
 * Installed as `okg` and as `kubectl-okg`, so `kubectl okg ...` runs it as a kubectl plugin.
 * `okg --help` lists the commands, flags and exit codes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_get.h"
#include "cli/cli_kube.h"
#include "cli/cli_update.h"
#include "lib/kube.h"
#include "lib/kubeconfig.h"
#include "lib/log.h"

#define OKG_CLI_VERSION "0.1.0"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char *prog_name(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : (argv0 ? argv0 : "okg");
	return strcmp(base, "kubectl-okg") == 0 ? "kubectl okg" : "okg";
}

int main(int argc, char **argv)
{
	const char *prog = prog_name(argc > 0 ? argv[0] : NULL);
	struct kube_config cfg = {0};
	struct kube_client *kc = NULL;
	struct cli_opts o;
	struct cli_api api;
	struct sigaction sa = {0};
	enum log_level lvl = LOG_ERROR;
	const char *ns;
	char err[512];
	bool global = false;
	int rc;

	rc = cli_parse_args(argc, argv, prog, &o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		goto out;
	}
	if (o.help || o.cmd == CLI_CMD_HELP) {
		cli_usage(stdout, prog, o.cmd);
		goto out;
	}
	if (o.cmd == CLI_CMD_VERSION) {
		printf("okg %s (game.kruise.io/v1alpha1)\n", OKG_CLI_VERSION);
		goto out;
	}
	if (o.log_level && log_level_parse(o.log_level, &lvl) < 0) {
		fprintf(stderr, "%s: --log-level: \"%s\" is not debug, info, warn or error\n", prog,
			o.log_level);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	log_init("okg", lvl);
	if (kcfg_load(o.kubeconfig, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, o.kubeconfig ? "--kubeconfig" : "kubeconfig",
			err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	ns = o.namespace ? o.namespace : (cfg.namespace ? cfg.namespace : "default");
	if (!cli_valid_name(ns)) {
		fprintf(stderr, "%s: namespace \"%s\" is not a valid name\n", prog, ns);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (kube_global_init() < 0) {
		fprintf(stderr, "%s: cannot initialise libcurl\n", prog);
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	global = true;
	{
		struct kube_client_opts ko = {
		    .timeout_ms = o.timeout_s * 1000 < 15000 ? o.timeout_s * 1000 : 15000,
		    .user_agent = "okg-cli",
		    .stop = &stop_flag,
		};

		if (kube_client_new(&cfg, &ko, &kc) < 0) {
			fprintf(stderr, "%s: cannot use the kubeconfig from %s\n", prog,
				cfg.source ? cfg.source : "?");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	cli_api_kube(kc, &api);
	if (o.cmd == CLI_CMD_UPDATE)
		rc = cli_update_run(&o, &api, ns, stdout, stderr);
	else
		rc = cli_get_run(&o, &api, ns, stdout, stderr);
out:
	kube_client_free(kc);
	if (global)
		kube_global_cleanup();
	kcfg_free(&cfg);
	cli_opts_free(&o);
	if (fflush(stdout) != 0 && rc == 0)
		rc = CLI_EXIT_INTERNAL;
	return rc;
}
