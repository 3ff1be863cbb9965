/* okg-probe: runs a GameServerSet's service-quality probes inside one game-server pod and
 * reports the results to okg-controller. See probe/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/log.h"
#include "probe/agent.h"
#include "probe/http.h"
#include "probe/spec.h"

static char *opt_probes, *opt_sidecar, *opt_report_url, *opt_token, *opt_report_ca, *opt_pod_name,
    *opt_pod_ns, *opt_pod_uid, *opt_pod_ip, *opt_log_level;
static long opt_heartbeat, opt_report_timeout;
static bool opt_once;

static const struct cfg_opt options[] = {
    {"probes", "OKG_PROBES", CFG_STR, NULL, 0, 0, &opt_probes,
     "the service qualities as a JSON array (set by okg-webhook)", false},
    {"sidecar-config", "OKG_SIDECAR_CONFIG", CFG_STR, NULL, 0, 0, &opt_sidecar,
     "the OKG sidecar's config.yaml (http_probe plugin), instead of --probes", false},
    {"report-url", "OKG_REPORT_URL", CFG_STR, NULL, 0, 0, &opt_report_url,
     "where results are POSTed (http:// or https://)", false},
    {"token", "OKG_PROBE_TOKEN", CFG_STR, NULL, 0, 0, &opt_token, "bearer token for the reports",
     true},
    {"report-ca", "OKG_REPORT_CA", CFG_STR, NULL, 0, 0, &opt_report_ca,
     "CA file that verifies an https report URL (unset: not verified)", false},
    {"heartbeat-seconds", "OKG_HEARTBEAT_SECONDS", CFG_INT, "60", 1, 86400, &opt_heartbeat,
     "resend the full state this often even when nothing changed", false},
    {"report-timeout-seconds", "OKG_REPORT_TIMEOUT_SECONDS", CFG_INT, "10", 1, 300,
     &opt_report_timeout, "time allowed for one report", false},
    {"pod-name", "POD_NAME", CFG_STR, NULL, 0, 0, &opt_pod_name, "this pod's name", false},
    {"pod-namespace", "POD_NAMESPACE", CFG_STR, NULL, 0, 0, &opt_pod_ns, "this pod's namespace",
     false},
    {"pod-uid", "POD_UID", CFG_STR, NULL, 0, 0, &opt_pod_uid,
     "this pod's uid (finds the containers' processes for exec probes)", false},
    {"pod-ip", "POD_IP", CFG_STR, NULL, 0, 0, &opt_pod_ip,
     "this pod's IP (target of httpGet and tcpSocket probes)", false},
    {"log-level", "OKG_LOG_LEVEL", CFG_STR, "info", 0, 0, &opt_log_level,
     "debug, info, warn or error", false},
    {"once", NULL, CFG_BOOL, "false", 0, 0, &opt_once,
     "run every probe once, print the report JSON on stdout and exit", false},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	ssize_t w = write(stop_pipe[1], &c, 1);

	(void)w;
	errno = saved;
}

static bool empty(const char *s)
{
	return !s || !s[0];
}

/* Checks what the chosen probes and mode need. Returns 0 or prints why and returns -1. */
static int check_needs(const struct pr_spec *spec)
{
	struct pr_url u;
	char why[300];
	bool pod_ip_probe = false;

	for (size_t i = 0; i < spec->n; i++)
		if ((spec->probes[i].kind == PR_HTTP && !spec->probes[i].url) ||
		    spec->probes[i].kind == PR_TCP)
			pod_ip_probe = true;
	if (pr_spec_has(spec, PR_EXEC) && empty(opt_pod_uid)) {
		fprintf(stderr, "okg-probe: POD_UID (--pod-uid): required by exec probes\n");
		return -1;
	}
	if (pod_ip_probe && empty(opt_pod_ip)) {
		fprintf(stderr, "okg-probe: POD_IP (--pod-ip): required by httpGet and tcpSocket "
				"probes\n");
		return -1;
	}
	if (opt_once)
		return 0;
	if (empty(opt_report_url)) {
		fprintf(stderr, "okg-probe: OKG_REPORT_URL (--report-url): required\n");
		return -1;
	}
	if (pr_url_parse(opt_report_url, &u, why, sizeof(why)) < 0) {
		fprintf(stderr, "okg-probe: OKG_REPORT_URL (--report-url): %s\n", why);
		return -1;
	}
	if (empty(opt_pod_name) || empty(opt_pod_ns)) {
		fprintf(stderr, "okg-probe: POD_NAME and POD_NAMESPACE (--pod-name, "
				"--pod-namespace): required\n");
		return -1;
	}
	if (empty(opt_token))
		LOG_WARNF("no_token", "detail=\"OKG_PROBE_TOKEN is empty: reports carry no "
				      "Authorization header\"");
	if (u.https && empty(opt_report_ca))
		LOG_WARNF("report_unverified", "detail=\"the report URL is https and no "
					       "--report-ca is set: the controller's certificate "
					       "is not verified\"");
	return 0;
}

static void log_warnings(const char *w)
{
	while (w && *w) {
		const char *nl = strchr(w, '\n');
		size_t n = nl ? (size_t)(nl - w) : strlen(w);
		char line[600], q[700];

		snprintf(line, sizeof(line), "%.*s", (int)(n < 590 ? n : 590), w);
		LOG_WARNF("config_warning", "detail=%s", log_quote(line, q, sizeof(q)));
		w = nl ? nl + 1 : NULL;
	}
}

int main(int argc, char **argv)
{
	struct pr_spec spec = {0};
	struct pr_reporter rep = {0};
	struct pr_agent_opts ao = {0};
	struct sigaction sa = {0};
	enum log_level lvl = LOG_INFO;
	char err[2048];
	int r, rc = 2;

	/* One malloc arena for all threads: they allocate little, and every arena's pages stay
	 * resident. */
	mallopt(M_ARENA_MAX, 1);
	r = cfg_parse(options, N_OPTIONS, argc, argv, stdout, err, sizeof(err));
	if (r == 1)
		return 0;
	if (r < 0) {
		fprintf(stderr, "okg-probe: %s\n", err);
		return 2;
	}
	if (log_level_parse(opt_log_level, &lvl) < 0) {
		fprintf(stderr,
			"okg-probe: --log-level: \"%s\" is not debug, info, warn or error\n",
			opt_log_level);
		goto out;
	}
	log_init("probe", lvl);
	if (!empty(opt_sidecar) && !empty(opt_probes)) {
		fprintf(stderr, "okg-probe: OKG_PROBES (--probes) and --sidecar-config are both "
				"set; give one\n");
		goto out;
	}
	if (!empty(opt_sidecar))
		r = pr_spec_load_sidecar(opt_sidecar, &spec, err, sizeof(err));
	else if (!empty(opt_probes))
		r = pr_spec_parse_probes(opt_probes, strlen(opt_probes), &spec, err, sizeof(err));
	else {
		snprintf(err, sizeof(err), "OKG_PROBES (--probes) or --sidecar-config: required");
		r = -EINVAL;
	}
	if (r < 0) {
		fprintf(stderr, "okg-probe: %s\n", err);
		goto out;
	}
	if (!opt_once)
		cfg_log(options, N_OPTIONS);
	log_warnings(spec.warnings);
	if (check_needs(&spec) < 0)
		goto out;
	rc = 1;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		fprintf(stderr, "okg-probe: pipe: %s\n", strerror(errno));
		goto out;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL); /* exec probes are waited for: never auto-reaped */

	rep.url = opt_report_url;
	rep.token = opt_token;
	rep.ca_file = empty(opt_report_ca) ? NULL : opt_report_ca;
	rep.timeout_ms = (int)opt_report_timeout * 1000;
	ao.spec = &spec;
	ao.ctx.pod_ip = opt_pod_ip;
	ao.ctx.pod_uid = opt_pod_uid;
	ao.ctx.stop_fd = stop_pipe[0];
	ao.meta.namespace = opt_pod_ns;
	ao.meta.pod = opt_pod_name;
	ao.meta.pod_uid = opt_pod_uid;
	ao.reporter = &rep;
	ao.heartbeat_s = opt_heartbeat;
	ao.backoff_base_ms = 500;
	ao.backoff_cap_ms = 30000;
	ao.slow_base_ms = 5000;
	ao.slow_cap_ms = 60000;

	if (opt_once) {
		char *json = NULL;

		r = pr_agent_once(&ao, &json);
		if (r < 0) {
			fprintf(stderr, "okg-probe: %s\n", strerror(-r));
			goto out;
		}
		printf("%s\n", json);
		free(json);
		rc = fflush(stdout) == 0 ? 0 : 1;
		goto out;
	}
	LOG_INFOF("start", "qualities=%zu mode=%s pod=%s/%s heartbeat_s=%ld", spec.n,
		  spec.sidecar ? "sidecar" : "probes", opt_pod_ns, opt_pod_name, opt_heartbeat);
	r = pr_agent_run(&ao);
	rc = r < 0 ? 1 : 0;
	LOG_INFOF("stop", "rc=%d", rc);
out:
	pr_spec_free(&spec);
	cfg_free(options, N_OPTIONS);
	return rc;
}
