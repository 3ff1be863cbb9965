/* okg-webhook: validates GameServerSets and injects the probe helper into game-server pods.
 * See webhook/README.md. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/config.h"
#include "lib/log.h"
#include "webhook/k8sname.h"
#include "webhook/server.h"

static char *opt_listen, *opt_cert_dir, *opt_tls_priorities, *opt_log_level;
static char *opt_probe_image, *opt_probe_command, *opt_probe_pull_policy;
static char *opt_probe_cpu_request, *opt_probe_memory_request, *opt_probe_report_url;
static char *opt_probe_cpu_limit, *opt_probe_memory_limit;
static long opt_max_body, opt_threads, opt_idle_timeout, opt_max_conns, opt_cert_poll_ms;
static long opt_shutdown_delay_ms, opt_drain_timeout_ms;

#define E "OKG_WEBHOOK_"
static const struct cfg_opt opts[] = {
    {"listen", E "LISTEN", CFG_STR, "0.0.0.0:9876", 0, 0, &opt_listen,
     "address to serve HTTPS on: host:port, [v6]:port or :port"},
    {"cert-dir", E "CERT_DIR", CFG_STR, "/tmp/webhook-certs", 0, 0, &opt_cert_dir,
     "directory with tls.crt and tls.key (a kubernetes.io/tls Secret volume)"},
    {"cert-poll-ms", E "CERT_POLL_MS", CFG_INT, "2000", 0, 3600000, &opt_cert_poll_ms,
     "how often to check the certificate files for changes (0: only on SIGHUP)"},
    {"tls-priorities", E "TLS_PRIORITIES", CFG_STR,
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA", 0, 0, &opt_tls_priorities,
     "GnuTLS priority string (TLS 1.2+, no static RSA key exchange)"},
    {"max-body", E "MAX_BODY", CFG_INT, "3145728", 4096, 64L * 1024 * 1024, &opt_max_body,
     "largest request body in bytes; larger ones get 413"},
    {"threads", E "THREADS", CFG_INT, "0", 0, 64, &opt_threads, "worker threads (0: one per CPU)"},
    {"idle-timeout", E "IDLE_TIMEOUT", CFG_INT, "30", 1, 3600, &opt_idle_timeout,
     "seconds before an idle or stalled connection is closed"},
    {"max-connections", E "MAX_CONNECTIONS", CFG_INT, "1024", 16, 100000, &opt_max_conns,
     "most connections open at once"},
    {"shutdown-delay-ms", E "SHUTDOWN_DELAY_MS", CFG_INT, "2000", 0, 60000, &opt_shutdown_delay_ms,
     "on SIGTERM, keep serving this long with /readyz failing before refusing connections"},
    {"drain-timeout-ms", E "DRAIN_TIMEOUT_MS", CFG_INT, "20000", 0, 600000, &opt_drain_timeout_ms,
     "then wait at most this long for requests in flight"},
    {"probe-image", E "PROBE_IMAGE", CFG_STR, "okg:latest", 0, 0, &opt_probe_image,
     "image of the injected probe helper"},
    {"probe-command", E "PROBE_COMMAND", CFG_STR, "/usr/local/bin/okg-probe", 0, 0,
     &opt_probe_command, "command of the injected probe helper"},
    {"probe-report-url", E "PROBE_REPORT_URL", CFG_STR,
     "http://okg-controller.okg-system.svc:8081/v1/probe-results", 0, 0, &opt_probe_report_url,
     "where injected probe helpers report results (okg-controller's --probe-listen)"},
    {"probe-image-pull-policy", E "PROBE_IMAGE_PULL_POLICY", CFG_STR, "", 0, 0,
     &opt_probe_pull_policy, "Always, IfNotPresent or Never (empty: Kubernetes' default)"},
    {"probe-cpu-request", E "PROBE_CPU_REQUEST", CFG_STR, "10m", 0, 0, &opt_probe_cpu_request,
     "probe helper CPU request (empty: none)"},
    {"probe-memory-request", E "PROBE_MEMORY_REQUEST", CFG_STR, "8Mi", 0, 0,
     &opt_probe_memory_request, "probe helper memory request (empty: none)"},
    {"probe-cpu-limit", E "PROBE_CPU_LIMIT", CFG_STR, "100m", 0, 0, &opt_probe_cpu_limit,
     "probe helper CPU limit (empty: none)"},
    {"probe-memory-limit", E "PROBE_MEMORY_LIMIT", CFG_STR, "32Mi", 0, 0, &opt_probe_memory_limit,
     "probe helper memory limit (empty: none)"},
    {"log-level", E "LOG_LEVEL", CFG_STR, "info", 0, 0, &opt_log_level,
     "debug, info, warn or error"},
};
#undef E
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* Checks what the table's types cannot; every problem is printed. */
static int check_flags(void)
{
	const struct {
		const char *flag;
		const char *value;
	} quantities[] = {
	    {"probe-cpu-request", opt_probe_cpu_request},
	    {"probe-memory-request", opt_probe_memory_request},
	    {"probe-cpu-limit", opt_probe_cpu_limit},
	    {"probe-memory-limit", opt_probe_memory_limit},
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(quantities) / sizeof(quantities[0]); i++) {
		const char *v = quantities[i].value;

		if (v && v[0] && !kn_quantity(v)) {
			fprintf(
			    stderr,
			    "okg-webhook: flag --%s: \"%s\" is not a quantity (e.g. 10m, 32Mi)\n",
			    quantities[i].flag, v);
			bad = 1;
		}
	}
	if (!opt_probe_image || !opt_probe_image[0] || !opt_probe_command ||
	    !opt_probe_command[0]) {
		fprintf(stderr,
			"okg-webhook: --probe-image and --probe-command must not be empty\n");
		bad = 1;
	}
	if (opt_probe_pull_policy && opt_probe_pull_policy[0] &&
	    strcmp(opt_probe_pull_policy, "Always") != 0 &&
	    strcmp(opt_probe_pull_policy, "IfNotPresent") != 0 &&
	    strcmp(opt_probe_pull_policy, "Never") != 0) {
		fprintf(stderr,
			"okg-webhook: flag --probe-image-pull-policy: \"%s\" is not Always, "
			"IfNotPresent or Never\n",
			opt_probe_pull_policy);
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

/* Waits for a signal in set for at most ms; returns it, or 0 on timeout. */
static int wait_signal(const sigset_t *set, long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	int sig = sigtimedwait(set, NULL, &ts);

	return sig > 0 ? sig : 0;
}

int main(int argc, char **argv)
{
	struct wh_server_opts so;
	struct wh_server *srv = NULL;
	enum log_level level;
	sigset_t set;
	char err[4096];
	int r, sig, code = 1;

	/* Signals are taken synchronously by the main thread (sigtimedwait); every thread
	 * created later inherits the mask. MHD sends with MSG_NOSIGNAL, GnuTLS and others may
	 * not: a dead peer must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	/* Each review allocates and frees a few blocks of up to four times its size. With glibc's
	 * defaults, blocks of a 64 KiB review were mmap'ed or the heap trimmed and faulted back in
	 * on every request (about 10 page faults, 20% of its CPU time); keep them instead. A
	 * refusal only costs speed. */
	(void)mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	r = cfg_parse(opts, N_OPTS, argc, argv, stdout, err, sizeof(err));
	if (r == 1)
		return 0;
	if (r < 0) {
		fprintf(stderr, "okg-webhook: %s\n", err);
		return 2;
	}
	if (log_level_parse(opt_log_level, &level) < 0) {
		fprintf(stderr,
			"okg-webhook: flag --log-level: \"%s\" is not debug, info, warn or "
			"error\n",
			opt_log_level);
		goto out_usage;
	}
	if (check_flags() < 0)
		goto out_usage;
	log_init("webhook", level);
	cfg_log(opts, N_OPTS);

	memset(&so, 0, sizeof(so));
	so.listen = opt_listen;
	so.cert_dir = opt_cert_dir;
	so.tls_priorities = opt_tls_priorities;
	so.max_body = (size_t)opt_max_body;
	so.threads = (unsigned)opt_threads;
	so.conn_timeout_s = (unsigned)opt_idle_timeout;
	so.max_conns = (unsigned)opt_max_conns;
	so.cert_poll_ms = (unsigned)opt_cert_poll_ms;
	so.adm.mut.image = opt_probe_image;
	so.adm.mut.command = opt_probe_command;
	so.adm.mut.report_url = opt_probe_report_url;
	so.adm.mut.pull_policy = opt_probe_pull_policy;
	so.adm.mut.cpu_request = opt_probe_cpu_request;
	so.adm.mut.memory_request = opt_probe_memory_request;
	so.adm.mut.cpu_limit = opt_probe_cpu_limit;
	so.adm.mut.memory_limit = opt_probe_memory_limit;

	r = wh_server_start(&so, &srv);
	if (r < 0)
		goto out;

	for (;;) {
		sig = wait_signal(&set, 1000);
		if (sig == SIGHUP) {
			LOG_INFOF("signal", "sig=HUP action=reload_certificate");
			wh_server_reload(srv);
		} else if (sig == SIGTERM || sig == SIGINT) {
			break;
		}
	}
	LOG_INFOF("signal", "sig=%s action=shutdown delay_ms=%ld drain_timeout_ms=%ld",
		  sig == SIGTERM ? "TERM" : "INT", opt_shutdown_delay_ms, opt_drain_timeout_ms);
	/* Fail readiness first so endpoints stop routing here, keep serving meanwhile; a second
	 * signal skips the wait. */
	wh_server_drain(srv);
	if (opt_shutdown_delay_ms > 0)
		wait_signal(&set, opt_shutdown_delay_ms);
	r = wh_server_stop(srv, (unsigned)opt_drain_timeout_ms);
	srv = NULL;
	code = 0;
	(void)r; /* a drain timeout is logged; exiting 0 still tells Kubernetes we stopped */
out:
	cfg_free(opts, N_OPTS);
	return code;
out_usage:
	cfg_free(opts, N_OPTS);
	return 2;
}
