/* okg-controller: GameServerSets into ordinal-named pods and GameServers. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "controller/ctl.h"
#include "controller/leader.h"
#include "controller/report.h"
#include "controller/scaler.h"
#include "lib/backoff.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "lib/kube.h"
#include "lib/log.h"

static char *opt_kubeconfig, *opt_http_listen, *opt_probe_listen, *opt_lease_ns, *opt_lease_name,
    *opt_identity, *opt_log_level, *opt_scaler_listen;
static long opt_workers, opt_lease_s, opt_renew_s, opt_retry_s;
static bool opt_leader_elect;

static const struct cfg_opt options[] = {
    {"kubeconfig", "KUBECONFIG", CFG_STR, NULL, 0, 0, &opt_kubeconfig,
     "kubeconfig file (else in-cluster, ~/.kube/config)", false},
    {"workers", "OKG_WORKERS", CFG_INT, "4", 1, 64, &opt_workers,
     "GameServerSets reconciled in parallel", false},
    {"http-listen", "OKG_HTTP_LISTEN", CFG_STR, "0.0.0.0:8080", 0, 0, &opt_http_listen,
     "address of /metrics, /healthz and /readyz (empty = off)", false},
    {"probe-listen", "OKG_PROBE_LISTEN", CFG_STR, "0.0.0.0:8081", 0, 0, &opt_probe_listen,
     "address where probe helpers report results (empty = off)", false},
    {"leader-elect", "OKG_LEADER_ELECT", CFG_BOOL, "true", 0, 0, &opt_leader_elect,
     "elect a leader through a Lease, so several replicas run safely", false},
    {"leader-election-namespace", "OKG_LEASE_NAMESPACE", CFG_STR, NULL, 0, 0, &opt_lease_ns,
     "namespace of the Lease (default: the kubeconfig's or the pod's namespace)", false},
    {"leader-election-name", "OKG_LEASE_NAME", CFG_STR, "okg-controller", 0, 0, &opt_lease_name,
     "name of the Lease", false},
    {"identity", "POD_NAME", CFG_STR, NULL, 0, 0, &opt_identity,
     "this replica's identity in the Lease (default: hostname_pid)", false},
    {"lease-duration-seconds", "OKG_LEASE_DURATION", CFG_INT, "15", 2, 300, &opt_lease_s,
     "how long a silent leader keeps the Lease", false},
    {"renew-deadline-seconds", "OKG_RENEW_DEADLINE", CFG_INT, "10", 1, 299, &opt_renew_s,
     "a leader that cannot renew for this long stops", false},
    {"retry-period-seconds", "OKG_RETRY_PERIOD", CFG_INT, "2", 1, 60, &opt_retry_s,
     "how often the Lease is renewed or tried", false},
    {"log-level", "OKG_LOG_LEVEL", CFG_STR, "info", 0, 0, &opt_log_level,
     "debug, info, warn or error", false},
    {"scaler-listen", "OKG_SCALER_LISTEN", CFG_STR, "0.0.0.0:6000", 0, 0, &opt_scaler_listen,
     "address of the KEDA external scaler (gRPC, h2c; empty = off)", false},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static volatile sig_atomic_t stop_requested;
static volatile int stop_flag;
static volatile int leading;
static struct ctl *ctl;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	stop_flag = 1;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *ctype,
			     const char *body, size_t len)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", ctype);
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result on_http(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	(void)cls, (void)version, (void)upload, (void)con_cls;
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0)
		return reply(conn, 405, "text/plain", "method not allowed\n", 19);
	if (!strcmp(url, "/healthz"))
		return reply(conn, 200, "text/plain", "ok\n", 3);
	if (!strcmp(url, "/readyz")) {
		if (ctl && ctl_ready(ctl))
			return reply(conn, 200, "text/plain", "ok\n", 3);
		return reply(conn, 503, "text/plain", "caches not synced\n", 18);
	}
	if (!strcmp(url, "/metrics")) {
		struct buf b;
		enum MHD_Result r;

		buf_init(&b, 64u << 20);
		buf_printf(&b, "# TYPE okg_leader gauge\nokg_leader %d\n", leading ? 1 : 0);
		if (ctl)
			ctl_metrics(ctl, &b);
		r = reply(conn, 200, "text/plain; version=0.0.4", b.data ? b.data : "", b.len);
		buf_free(&b);
		return r;
	}
	return reply(conn, 404, "text/plain", "not found\n", 10);
}

/* POST /v1/probe-results: the body is gathered (capped) across calls, then handed over. */
struct upload {
	struct buf body;
	bool too_big;
};

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls, (void)conn, (void)toe;
	if (u) {
		buf_free(&u->body);
		free(u);
		*con_cls = NULL;
	}
}

static enum MHD_Result on_probe(void *cls, struct MHD_Connection *conn, const char *url,
				const char *method, const char *version, const char *upload,
				size_t *upload_size, void **con_cls)
{
	struct upload *u = *con_cls;
	const char *auth;
	char err[600];
	int code;

	(void)cls, (void)version;
	if (strcmp(url, "/v1/probe-results") != 0)
		return reply(conn, 404, "text/plain", "not found\n", 10);
	if (strcmp(method, "POST") != 0)
		return reply(conn, 405, "text/plain", "method not allowed\n", 19);
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		buf_init(&u->body, RP_BODY_MAX);
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!u->too_big && buf_append(&u->body, upload, *upload_size) < 0)
			u->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (u->too_big)
		return reply(conn, 413, "text/plain", "report too large\n", 17);
	if (!leading || !ctl || !ctl_ready(ctl))
		return reply(conn, 503, "text/plain", "not leading\n", 12);
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (!auth || strncmp(auth, "Bearer ", 7) != 0)
		return reply(conn, 401, "text/plain", "missing bearer token\n", 21);
	code = ctl_probe_report(ctl, u->body.data ? u->body.data : "", u->body.len, auth + 7, err,
				sizeof(err));
	if (code == 204)
		return reply(conn, 204, "text/plain", "", 0);
	{
		char q[700];

		LOG_WARNF("probe_report_refused", "code=%d message=%s", code,
			  log_quote(err, q, sizeof(q)));
	}
	return reply(conn, (unsigned)code, "text/plain", err, strlen(err));
}

static struct MHD_Daemon *start_http(const char *listen, MHD_AccessHandlerCallback handler)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return NULL;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, *host ? host : "0.0.0.0", &sa.sin_addr) != 1)
		return NULL;
	sa.sin_port = htons((uint16_t)port);
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_END);
}

static void on_leading(void *ud)
{
	(void)ud;
	if (ctl)
		ctl_resync(ctl);
}

int main(int argc, char **argv)
{
	struct kube_config cfg = {0};
	struct MHD_Daemon *http = NULL, *probe_http = NULL;
	struct scaler *scaler = NULL;
	struct le *election = NULL;
	struct sigaction sa = {0};
	enum log_level lvl = LOG_INFO;
	char err[2048], ident[300];
	int r, rc = 1;

	r = cfg_parse(options, N_OPTIONS, argc, argv, stdout, err, sizeof(err));
	if (r == 1)
		return 0;
	if (r < 0) {
		fprintf(stderr, "okg-controller: %s\n", err);
		return 2;
	}
	if (log_level_parse(opt_log_level, &lvl) < 0) {
		fprintf(stderr,
			"okg-controller: --log-level: \"%s\" is not debug, info, warn or error\n",
			opt_log_level);
		goto out;
	}
	if (opt_renew_s >= opt_lease_s || opt_retry_s >= opt_renew_s) {
		fprintf(stderr,
			"okg-controller: need retry-period < renew-deadline < "
			"lease-duration (got %ld, %ld, %ld)\n",
			opt_retry_s, opt_renew_s, opt_lease_s);
		goto out;
	}
	log_init("controller", lvl);
	cfg_log(options, N_OPTIONS);
	if (kcfg_load(opt_kubeconfig, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "okg-controller: %s\n", err);
		goto out;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Few malloc arenas: the threads allocate and free similar objects, and one arena per
	 * thread mostly multiplies fragmentation. */
	mallopt(M_ARENA_MAX, 2);
	if (kube_global_init() < 0)
		goto out;
	{
		struct ctl_opts co = {
		    .workers = (int)opt_workers, .stop = &stop_flag, .leading = &leading};

		r = ctl_new(&cfg, &co, &ctl);
		if (r < 0) {
			fprintf(stderr, "okg-controller: start-up failed: %s\n", strerror(-r));
			goto out;
		}
	}
	if (opt_http_listen && *opt_http_listen) {
		http = start_http(opt_http_listen, on_http);
		if (!http) {
			fprintf(stderr, "okg-controller: --http-listen %s: cannot listen there\n",
				opt_http_listen);
			goto out;
		}
	}
	if (opt_probe_listen && *opt_probe_listen) {
		probe_http = start_http(opt_probe_listen, on_probe);
		if (!probe_http) {
			fprintf(stderr, "okg-controller: --probe-listen %s: cannot listen there\n",
				opt_probe_listen);
			goto out;
		}
	}
	if (opt_leader_elect) {
		char host[256] = "okg";
		struct le_opts lo = {0};

		gethostname(host, sizeof(host) - 1);
		snprintf(ident, sizeof(ident), "%s_%d", host, (int)getpid());
		lo.namespace = opt_lease_ns ? opt_lease_ns : cfg.namespace;
		lo.name = opt_lease_name;
		lo.identity = opt_identity ? opt_identity : ident;
		lo.lease_s = (int)opt_lease_s;
		lo.renew_deadline_s = (int)opt_renew_s;
		lo.retry_s = (int)opt_retry_s;
		lo.leading = &leading;
		lo.stop = &stop_flag;
		lo.on_started = on_leading;
		if (le_start(&cfg, &lo, &election) < 0)
			goto out;
	} else {
		leading = 1;
	}
	r = ctl_start(ctl);
	if (r < 0) {
		fprintf(stderr, "okg-controller: start-up failed: %s\n", strerror(-r));
		goto out;
	}
	if (opt_scaler_listen && *opt_scaler_listen) {
		struct scaler_opts so = {.listen = opt_scaler_listen};

		if (scaler_start(ctl, &so, &scaler, err, sizeof(err)) < 0) {
			fprintf(stderr, "okg-controller: --scaler-listen %s\n", err);
			goto out;
		}
	}
	LOG_INFOF("started", "workers=%ld leader_elect=%s", opt_workers,
		  opt_leader_elect ? "true" : "false");
	for (unsigned tick = 0; !stop_requested; tick++) {
		backoff_sleep_ms(200);
		/* Reconciles copy a set's servers and free them again: hand freed memory back
		 * now and then so RSS tracks what the caches hold. */
		if (tick % 50 == 0)
			malloc_trim(0);
	}
	LOG_INFOF("stopping", "reason=signal");
	rc = 0;
out:
	stop_flag = 1;
	scaler_stop(scaler); /* before ctl_free: it reads the controller's caches */
	ctl_stop(ctl);
	le_stop(election); /* releases the Lease after the workers stopped writing */
	ctl_free(ctl);
	if (http)
		MHD_stop_daemon(http);
	if (probe_http)
		MHD_stop_daemon(probe_http);
	kcfg_free(&cfg);
	cfg_free(options, N_OPTIONS);
	kube_global_cleanup();
	return rc;
}
