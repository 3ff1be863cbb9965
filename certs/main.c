/* okg-certs: serving certificates for okg-webhook on clusters without cert-manager.
 *
 * Keeps one CA and one serving certificate in a Secret (so every webhook replica serves from
 * the same CA), renews before expiry, and puts the CA bundle into the caBundle of the okg
 * webhook configurations. Runs once (a Job) or in a loop (a long-running renewer). Idempotent:
 * a run with nothing to do writes nothing. See certs/README.md. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certs/crt_kobj.h"
#include "certs/crt_plan.h"
#include "certs/crt_run.h"
#include "lib/config.h"
#include "lib/kube.h"
#include "lib/kubeconfig.h"
#include "lib/log.h"

/* Exit codes (also in --help and certs/README.md). */
enum {
	EXIT_DONE = 0,	    /* everything in place */
	EXIT_FAILED = 1,    /* an API call, a write or key generation failed */
	EXIT_USAGE = 2,	    /* bad flags */
	EXIT_NO_CONFIG = 3, /* Secret in place, but a named webhook configuration does not exist */
};

static char *opt_kubeconfig, *opt_namespace, *opt_secret, *opt_service, *opt_dns, *opt_ip,
    *opt_validating, *opt_mutating, *opt_out_dir, *opt_loop, *opt_key_type, *opt_log_level;
static long opt_renew_before_h, opt_ca_days, opt_cert_days, opt_timeout_s;
static bool opt_once;

static const struct cfg_opt options[] = {
    {"kubeconfig", "KUBECONFIG", CFG_STR, NULL, 0, 0, &opt_kubeconfig,
     "kubeconfig file (else in-cluster, ~/.kube/config)", false},
    {"namespace", "OKG_CERTS_NAMESPACE", CFG_STR, "okg-system", 0, 0, &opt_namespace,
     "namespace of the Secret and the webhook Service", false},
    {"secret", "OKG_CERTS_SECRET", CFG_STR, "okg-webhook-certs", 0, 0, &opt_secret,
     "Secret (type kubernetes.io/tls) holding tls.crt, tls.key, ca.crt, ca.key", false},
    {"service", "OKG_CERTS_SERVICE", CFG_STR, "okg-webhook", 0, 0, &opt_service,
     "webhook Service: the certificate covers SERVICE, .NS, .NS.svc, .NS.svc.cluster.local", false},
    {"dns", "OKG_CERTS_DNS", CFG_STR, NULL, 0, 0, &opt_dns, "extra DNS names, comma separated",
     false},
    {"ip", "OKG_CERTS_IP", CFG_STR, NULL, 0, 0, &opt_ip,
     "extra IP addresses, comma separated (local runs: 127.0.0.1)", false},
    {"validating-config", "OKG_CERTS_VALIDATING_CONFIG", CFG_STR, "okg-validating-webhook", 0, 0,
     &opt_validating, "ValidatingWebhookConfiguration to patch (\"\" = none)", false},
    {"mutating-config", "OKG_CERTS_MUTATING_CONFIG", CFG_STR, "okg-mutating-webhook", 0, 0,
     &opt_mutating, "MutatingWebhookConfiguration to patch (\"\" = none)", false},
    {"renew-before", "OKG_CERTS_RENEW_BEFORE", CFG_INT, "720", 0, 87600, &opt_renew_before_h,
     "hours: re-issue a certificate that expires within this", false},
    {"ca-days", "OKG_CERTS_CA_DAYS", CFG_INT, "3650", 1, 3650, &opt_ca_days, "validity of a new CA",
     false},
    {"cert-days", "OKG_CERTS_CERT_DAYS", CFG_INT, "365", 1, 3650, &opt_cert_days,
     "validity of a new serving certificate", false},
    {"key-type", "OKG_CERTS_KEY_TYPE", CFG_STR, "ec", 0, 0, &opt_key_type,
     "key type of new certificates: ec (P-256) or rsa (2048)", false},
    {"out-dir", "OKG_CERTS_OUT_DIR", CFG_STR, NULL, 0, 0, &opt_out_dir,
     "also write tls.crt, tls.key (0600), ca.crt here (for a webhook run outside a pod)", false},
    {"once", "OKG_CERTS_ONCE", CFG_BOOL, "false", 0, 0, &opt_once,
     "run once and exit (the default when --loop is not given)", false},
    {"loop", "OKG_CERTS_LOOP", CFG_STR, NULL, 0, 0, &opt_loop,
     "run again every INTERVAL (90s, 15m, 12h, 1d) until SIGTERM", false},
    {"timeout-seconds", "OKG_CERTS_TIMEOUT_SECONDS", CFG_INT, "15", 1, 300, &opt_timeout_s,
     "timeout of one API request", false},
    {"log-level", "OKG_LOG_LEVEL", CFG_STR, "info", 0, 0, &opt_log_level,
     "debug, info, warn or error", false},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char exit_help[] =
    "exit codes: 0 done (Secret and caBundles in place; nothing written when nothing changed)\n"
    "            1 failed (API error, conflict retries exhausted, write or key failure)\n"
    "            2 bad flags\n"
    "            3 Secret in place but a named webhook configuration does not exist\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Sleeps up to secs, waking early on SIGTERM/SIGINT. */
static void sleep_interruptible(long long secs)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};

	for (long long i = 0; i < secs * 5 && !stop_requested; i++)
		nanosleep(&ts, NULL);
}

/* Checks the flags that the table cannot; err gets one line per problem's first. */
static int check_flags(struct crt_names *names, struct crt_policy *pol, long long *loop_s,
		       char *err, size_t errlen)
{
	int r;

	if (!crt_dns_subdomain(opt_secret)) {
		snprintf(err, errlen, "--secret: \"%s\" is not a valid object name", opt_secret);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		const char *v = i ? opt_mutating : opt_validating;

		if (v && v[0] && !crt_dns_subdomain(v)) {
			snprintf(err, errlen, "--%s: \"%s\" is not a valid object name",
				 i ? "mutating-config" : "validating-config", v);
			return -EINVAL;
		}
	}
	if (!strcmp(opt_key_type, "ec")) {
		pol->key_type = TG_KEY_EC_P256;
	} else if (!strcmp(opt_key_type, "rsa")) {
		pol->key_type = TG_KEY_RSA_2048;
	} else {
		snprintf(err, errlen, "--key-type: \"%s\" is not ec or rsa", opt_key_type);
		return -EINVAL;
	}
	*loop_s = 0;
	if (opt_loop && opt_once) {
		snprintf(err, errlen, "--once and --loop: choose one");
		return -EINVAL;
	}
	if (opt_loop && crt_parse_duration(opt_loop, loop_s) < 0) {
		snprintf(err, errlen,
			 "--loop: \"%s\" is not an interval (90s, 15m, 12h, 1d; at most 365d)",
			 opt_loop);
		return -EINVAL;
	}
	if (opt_renew_before_h >= opt_ca_days * 24) {
		snprintf(err, errlen,
			 "--renew-before: %ldh is not shorter than --ca-days %ld (every run would "
			 "make a new CA)",
			 opt_renew_before_h, opt_ca_days);
		return -EINVAL;
	}
	r = crt_names_build(opt_service, opt_namespace, opt_dns, opt_ip, names, err, errlen);
	if (r < 0)
		return r;
	pol->names = names;
	pol->renew_before_s = (long long)opt_renew_before_h * 3600;
	pol->ca_days = (int)opt_ca_days;
	pol->cert_days = (int)opt_cert_days;
	pol->ca_common_name = "okg-webhook-ca";
	return 0;
}

int main(int argc, char **argv)
{
	char err[2048];
	struct kube_config cfg = {0};
	struct kube_client *kc = NULL;
	struct kube_client_opts ko = {.user_agent = "okg-certs",
				      .max_retries = 3,
				      .max_body = 4u << 20,
				      .stop = (const volatile int *)&stop_requested};
	struct crt_names names = {0};
	struct crt_policy pol = {0};
	struct crt_run_opts ro = {0};
	struct sigaction sa = {0};
	enum log_level lvl = LOG_INFO;
	long long loop_s = 0, retry_s = 5;
	bool kube_inited = false;
	int r, rc = EXIT_FAILED;

	r = cfg_parse(options, N_OPTIONS, argc, argv, stdout, err, sizeof(err));
	if (r == 1) {
		fputs(exit_help, stdout);
		return EXIT_DONE;
	}
	if (r < 0) {
		fprintf(stderr, "okg-certs: %s\n", err);
		return EXIT_USAGE;
	}
	if (log_level_parse(opt_log_level, &lvl) < 0) {
		fprintf(stderr,
			"okg-certs: --log-level: \"%s\" is not debug, info, warn or error\n",
			opt_log_level);
		rc = EXIT_USAGE;
		goto out;
	}
	log_init("certs", lvl);
	if (check_flags(&names, &pol, &loop_s, err, sizeof(err)) < 0) {
		fprintf(stderr, "okg-certs: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	cfg_log(options, N_OPTIONS);
	if (opt_renew_before_h >= opt_cert_days * 24)
		LOG_WARNF("config", "message=%s",
			  "\"--renew-before is not shorter than --cert-days: every run re-issues "
			  "the serving certificate\"");
	if (kcfg_load(opt_kubeconfig, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "okg-certs: %s\n", err);
		goto out;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ko.timeout_ms = opt_timeout_s * 1000;
	if (kube_global_init() < 0) {
		fprintf(stderr, "okg-certs: libcurl initialisation failed\n");
		goto out;
	}
	kube_inited = true;
	r = kube_client_new(&cfg, &ko, &kc);
	if (r < 0) {
		fprintf(stderr, "okg-certs: API client for %s: %s\n", cfg.server ? cfg.server : "?",
			kube_strerror(r));
		goto out;
	}
	ro.ns = opt_namespace;
	ro.secret = opt_secret;
	ro.validating = opt_validating;
	ro.mutating = opt_mutating;
	ro.out_dir = opt_out_dir;
	ro.pol = &pol;
	for (;;) {
		struct crt_run_result res;

		r = crt_run(kc, &ro, &res);
		if (r == 0) {
			LOG_INFOF(
			    "done",
			    "action=%s secret_written=%s configs_patched=%d configs_missing=%d "
			    "files_written=%d serial=%s valid_hours=%lld",
			    res.secret_written ? crt_action_name(res.action) : "none",
			    res.secret_written ? "true" : "false", res.configs_patched,
			    res.configs_missing, res.files_written,
			    res.serial[0] ? res.serial : "-", res.leaf_left_s / 3600);
			rc = res.configs_missing ? EXIT_NO_CONFIG : EXIT_DONE;
			retry_s = 5;
		} else {
			rc = EXIT_FAILED;
		}
		if (!loop_s || stop_requested)
			break;
		/* In a loop, failures and missing configurations are retried sooner. */
		if (rc == EXIT_DONE) {
			sleep_interruptible(loop_s);
		} else {
			sleep_interruptible(retry_s < loop_s ? retry_s : loop_s);
			retry_s = retry_s * 2 > 300 ? 300 : retry_s * 2;
		}
		if (stop_requested) {
			rc = EXIT_DONE;
			break;
		}
	}
out:
	kube_client_free(kc);
	if (kube_inited)
		kube_global_cleanup();
	kcfg_free(&cfg);
	crt_names_free(&names);
	cfg_free(options, N_OPTIONS);
	return rc;
}
