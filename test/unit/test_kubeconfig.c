/* Unit tests for lib/kubeconfig.c (kubeconfig files, in-cluster config, base64). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/kubeconfig.h"
#include "lib/yamljson.h"

#define CA_TEXT	  "-----BEGIN CERTIFICATE-----\nQ0EgZm9yIHRlc3Rz\n-----END CERTIFICATE-----\n"
#define CERT_TEXT "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n"
#define KEY_TEXT  "-----BEGIN PRIVATE KEY-----\na2V5IG1hdGVyaWFs\n-----END PRIVATE KEY-----\n"

/* The sentinel ending from_doc_fail()'s word list. */
#define END ((const char *)NULL)

static char tmpdir[64];

/* --- helpers ----------------------------------------------------------------------------- */

static char *b64(const void *data, size_t n)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char *o = malloc((n + 2) / 3 * 4 + 1);
	size_t k = 0;

	assert_non_null(o);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		o[k++] = tbl[(v >> 18) & 63];
		o[k++] = tbl[(v >> 12) & 63];
		o[k++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		o[k++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	o[k] = '\0';
	return o;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void remove_tree(const char *dir)
{
	char cmd[600];

	/* dir is always our own mkdtemp result */
	assert_true(strncmp(dir, "/tmp/okgt-", 10) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/okgt-kcfg-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	write_file(tmpdir, "ca.crt", CA_TEXT);
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(tmpdir);
	return 0;
}

/* The standard test kubeconfig, as YAML text (caller frees). */
static char *kubeconfig_yaml(const char *current_context)
{
	char *ca = b64(CA_TEXT, strlen(CA_TEXT));
	char *cert = b64(CERT_TEXT, strlen(CERT_TEXT));
	char *key = b64(KEY_TEXT, strlen(KEY_TEXT));
	struct buf b;

	buf_init(&b, 1u << 20);
	assert_int_equal(buf_printf(&b, "apiVersion: v1\nkind: Config\n"), 0);
	if (current_context)
		assert_int_equal(buf_printf(&b, "current-context: %s\n", current_context), 0);
	assert_int_equal(buf_printf(&b,
				    "clusters:\n"
				    "- name: c1\n"
				    "  cluster:\n"
				    "    server: https://10.0.0.1:6443//\n"
				    "    certificate-authority: ca.crt\n"
				    "- name: c2\n"
				    "  cluster:\n"
				    "    server: https://[::1]:6443\n"
				    "    certificate-authority-data: %s\n"
				    "    insecure-skip-tls-verify: true\n"
				    "- name: plain\n"
				    "  cluster: {server: 'http://10.0.0.1:8080'}\n"
				    "- name: noserver\n"
				    "  cluster: {}\n"
				    "- name: badca\n"
				    "  cluster:\n"
				    "    server: https://h\n"
				    "    certificate-authority-data: 'not*base64'\n"
				    "- name: missingca\n"
				    "  cluster:\n"
				    "    server: https://h\n"
				    "    certificate-authority: nothere/ca.pem\n"
				    "- name: absca\n"
				    "  cluster:\n"
				    "    server: https://h\n"
				    "    certificate-authority: %s/ca.crt\n"
				    "users:\n"
				    "- name: tok\n"
				    "  user:\n"
				    "    token: abc.def\n"
				    "- name: cert\n"
				    "  user:\n"
				    "    client-certificate-data: |\n"
				    "      %.40s\n"
				    "      %s\n"
				    "    client-key-data: %s\n"
				    "- name: certfile\n"
				    "  user:\n"
				    "    client-certificate: client.crt\n"
				    "    client-key: client.key\n"
				    "- name: certonly\n"
				    "  user:\n"
				    "    client-certificate-data: %s\n"
				    "- name: keyonly\n"
				    "  user:\n"
				    "    client-key-data: %s\n"
				    "- name: execuser\n"
				    "  user:\n"
				    "    exec:\n"
				    "      apiVersion: client.authentication.k8s.io/v1\n"
				    "      command: aws\n"
				    "- name: authprov\n"
				    "  user:\n"
				    "    auth-provider: {name: gcp}\n"
				    "- name: tokfile\n"
				    "  user: {tokenFile: /var/run/tok}\n"
				    "contexts:\n"
				    "- name: dev\n"
				    "  context: {cluster: c1, user: tok, namespace: games}\n"
				    "- name: prod\n"
				    "  context: {cluster: c2, user: cert}\n"
				    "- name: files\n"
				    "  context: {cluster: c1, user: certfile}\n"
				    "- name: anon\n"
				    "  context: {cluster: absca}\n"
				    "- name: ghostcluster\n"
				    "  context: {cluster: ghost, user: tok}\n"
				    "- name: ghostuser\n"
				    "  context: {cluster: c1, user: phantom}\n"
				    "- name: http\n"
				    "  context: {cluster: plain, user: tok}\n"
				    "- name: noserver\n"
				    "  context: {cluster: noserver}\n"
				    "- name: exec\n"
				    "  context: {cluster: c1, user: execuser}\n"
				    "- name: authprov\n"
				    "  context: {cluster: c1, user: authprov}\n"
				    "- name: certonly\n"
				    "  context: {cluster: c1, user: certonly}\n"
				    "- name: keyonly\n"
				    "  context: {cluster: c1, user: keyonly}\n"
				    "- name: badca\n"
				    "  context: {cluster: badca}\n"
				    "- name: missingca\n"
				    "  context: {cluster: missingca}\n"
				    "- name: tokfile\n"
				    "  context: {cluster: c1, user: tokfile}\n"
				    "- name: nocluster\n"
				    "  context: {user: tok}\n",
				    ca, tmpdir, cert,
				    cert + (strlen(cert) > 40 ? 40 : strlen(cert)), key, cert, key),
			 0);
	free(ca);
	free(cert);
	free(key);
	return buf_steal(&b);
}

static cJSON *kubeconfig_doc(const char *current_context)
{
	char *y = kubeconfig_yaml(current_context);
	char err[256];
	cJSON *doc = NULL;
	int r = yj_parse(y, strlen(y), &doc, err, sizeof(err));

	if (r)
		fail_msg("yj_parse: %d %s\n%s", r, err, y);
	free(y);
	return doc;
}

static void from_doc_ok(const cJSON *doc, const char *context, const char *base,
			struct kube_config *c)
{
	char err[512] = "";
	int r = kcfg_from_doc(doc, context, base, c, err, sizeof(err));

	if (r)
		fail_msg("context %s: %d %s", context ? context : "(current)", r, err);
}

/* Expects failure want with a message containing each of the NULL-terminated words. */
static void from_doc_fail(const cJSON *doc, const char *context, int want, ...)
{
	char err[512] = "";
	struct kube_config c;
	const char *w;
	va_list ap;
	int r;

	memset(&c, 0x5a, sizeof(c));
	r = kcfg_from_doc(doc, context, tmpdir, &c, err, sizeof(err));
	if (r != want)
		fail_msg("context %s: %d (want %d): %s", context ? context : "(current)", r, want,
			 err);
	va_start(ap, want);
	while ((w = va_arg(ap, const char *)) != NULL)
		if (!strstr(err, w))
			fail_msg("context %s: err \"%s\" lacks \"%s\"", context, err, w);
	va_end(ap);
	/* nothing is left allocated in out */
	assert_null(c.server);
	assert_null(c.token);
	assert_null(c.ca_pem);
	assert_null(c.cert_pem);
	assert_null(c.key_pem);
	assert_null(c.namespace);
}

/* --- kcfg_from_doc ------------------------------------------------------------------------ */

static void test_token_user_ca_file(void **state)
{
	cJSON *doc = kubeconfig_doc("dev");
	struct kube_config c;

	(void)state;
	from_doc_ok(doc, NULL, tmpdir, &c);
	assert_string_equal(c.server, "https://10.0.0.1:6443"); /* trailing slashes dropped */
	assert_string_equal(c.token, "abc.def");
	assert_null(c.token_file);
	assert_string_equal(c.ca_pem, CA_TEXT);
	assert_null(c.cert_pem);
	assert_null(c.key_pem);
	assert_string_equal(c.namespace, "games");
	assert_false(c.insecure);
	kcfg_free(&c);
	assert_null(c.server);
	kcfg_free(&c);
	kcfg_free(NULL);
	cJSON_Delete(doc);
}

static void test_cert_data_user(void **state)
{
	cJSON *doc = kubeconfig_doc("dev");
	struct kube_config c;

	(void)state;
	/* an explicit context beats current-context */
	from_doc_ok(doc, "prod", tmpdir, &c);
	assert_string_equal(c.server, "https://[::1]:6443");
	assert_string_equal(c.ca_pem, CA_TEXT);
	assert_true(c.insecure);
	assert_null(c.token);
	assert_string_equal(c.cert_pem, CERT_TEXT); /* base64 split over lines */
	assert_string_equal(c.key_pem, KEY_TEXT);
	assert_string_equal(c.namespace, "default");
	kcfg_free(&c);
	cJSON_Delete(doc);
}

static void test_cert_files_relative(void **state)
{
	cJSON *doc = kubeconfig_doc("files");
	struct kube_config c;
	char err[512] = "";

	(void)state;
	/* the files do not exist yet: the message names the resolved path */
	assert_int_equal(kcfg_from_doc(doc, NULL, tmpdir, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "client-certificate"));
	assert_non_null(strstr(err, tmpdir));
	assert_non_null(strstr(err, "client.crt"));
	write_file(tmpdir, "client.crt", CERT_TEXT);
	write_file(tmpdir, "client.key", KEY_TEXT);
	from_doc_ok(doc, NULL, tmpdir, &c);
	assert_string_equal(c.cert_pem, CERT_TEXT);
	assert_string_equal(c.key_pem, KEY_TEXT);
	assert_string_equal(c.ca_pem, CA_TEXT);
	assert_null(c.token);
	kcfg_free(&c);
	cJSON_Delete(doc);
}

static void test_absolute_ca_and_no_user(void **state)
{
	cJSON *doc = kubeconfig_doc("dev");
	struct kube_config c;

	(void)state;
	/* an absolute path ignores base_dir; a context without a user has no credentials */
	from_doc_ok(doc, "anon", "/nonexistent", &c);
	assert_string_equal(c.server, "https://h");
	assert_string_equal(c.ca_pem, CA_TEXT);
	assert_null(c.token);
	assert_null(c.token_file);
	assert_null(c.cert_pem);
	kcfg_free(&c);
	from_doc_ok(doc, "tokfile", tmpdir, &c);
	assert_string_equal(c.token_file, "/var/run/tok");
	assert_null(c.token);
	kcfg_free(&c);
	cJSON_Delete(doc);
}

static void test_current_context(void **state)
{
	cJSON *doc = kubeconfig_doc("prod");
	cJSON *none = kubeconfig_doc(NULL);
	struct kube_config c;

	(void)state;
	from_doc_ok(doc, NULL, tmpdir, &c);
	assert_string_equal(c.server, "https://[::1]:6443");
	kcfg_free(&c);
	from_doc_ok(doc, "dev", tmpdir, &c);
	assert_string_equal(c.server, "https://10.0.0.1:6443");
	kcfg_free(&c);
	/* no current-context and none given */
	from_doc_fail(none, NULL, -EINVAL, "current-context", END);
	from_doc_ok(none, "dev", tmpdir, &c);
	kcfg_free(&c);
	cJSON_Delete(doc);
	cJSON_Delete(none);
}

static void test_missing_names(void **state)
{
	cJSON *doc = kubeconfig_doc("dev");

	(void)state;
	from_doc_fail(doc, "nope", -EINVAL, "context", "\"nope\"", END);
	from_doc_fail(doc, "ghostcluster", -EINVAL, "cluster", "\"ghost\"", "ghostcluster", END);
	from_doc_fail(doc, "ghostuser", -EINVAL, "user", "\"phantom\"", "ghostuser", END);
	from_doc_fail(doc, "nocluster", -EINVAL, "cluster", END);
	cJSON_Delete(doc);
}

static void test_refusals(void **state)
{
	cJSON *doc = kubeconfig_doc("dev");

	(void)state;
	from_doc_fail(doc, "http", -EINVAL, "https://", "plain", END);
	from_doc_fail(doc, "noserver", -EINVAL, "server", END);
	from_doc_fail(doc, "exec", -ENOTSUP, "exec", "execuser", "not supported", END);
	from_doc_fail(doc, "authprov", -ENOTSUP, "auth-provider", "authprov", END);
	from_doc_fail(doc, "certonly", -EINVAL, "client-key", "certonly", END);
	from_doc_fail(doc, "keyonly", -EINVAL, "client-certificate", "keyonly", END);
	from_doc_fail(doc, "badca", -EINVAL, "certificate-authority-data", "base64", END);
	from_doc_fail(doc, "missingca", -ENOENT, "certificate-authority", "nothere/ca.pem", END);
	cJSON_Delete(doc);
}

static void test_not_a_mapping(void **state)
{
	const char *const texts[] = {"",
				     "[]",
				     "just text",
				     "42",
				     "contexts: 3\ncurrent-context: x\n",
				     "current-context: x\ncontexts:\n- name: x\n  context: 5\n",
				     "current-context: [1]\n"};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cJSON *doc = NULL;
		char err[256] = "";
		struct kube_config c;

		assert_int_equal(yj_parse(texts[i], strlen(texts[i]), &doc, err, sizeof(err)), 0);
		assert_int_equal(kcfg_from_doc(doc, NULL, NULL, &c, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
		assert_null(c.server);
		cJSON_Delete(doc);
	}
}

/* --- kcfg_load ----------------------------------------------------------------------------- */

static void test_load_explicit_path(void **state)
{
	char *y = kubeconfig_yaml("dev");
	char path[256], err[512] = "";
	struct kube_config c;

	(void)state;
	write_file(tmpdir, "config", y);
	snprintf(path, sizeof(path), "%s/config", tmpdir);
	setenv("KUBECONFIG", "/nonexistent/kubeconfig", 1); /* an explicit path wins */
	assert_int_equal(kcfg_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.0.0.1:6443");
	assert_string_equal(c.ca_pem, CA_TEXT); /* relative to the file's directory */
	assert_string_equal(c.token, "abc.def");
	assert_string_equal(c.source, path);
	kcfg_free(&c);

	/* errors name the file */
	snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
	assert_true(kcfg_load(path, &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
	write_file(tmpdir, "bad", "current-context: ghostuser\n");
	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	assert_int_equal(kcfg_load(path, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
	assert_null(c.server);
	free(y);
}

static void test_load_env(void **state)
{
	char *y = kubeconfig_yaml("prod");
	char list[600], err[512] = "", path[256];
	struct kube_config c;

	(void)state;
	write_file(tmpdir, "first", y);
	snprintf(list, sizeof(list), "%s/first:%s/second:/x", tmpdir, tmpdir);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kcfg_load(NULL, &c, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/first", tmpdir);
	assert_string_equal(c.source, path);
	assert_string_equal(c.server, "https://[::1]:6443");
	assert_string_equal(c.cert_pem, CERT_TEXT);
	kcfg_free(&c);
	/* an empty path argument counts as none */
	assert_int_equal(kcfg_load("", &c, err, sizeof(err)), 0);
	assert_string_equal(c.source, path);
	kcfg_free(&c);

	/* a single entry */
	setenv("KUBECONFIG", path, 1);
	assert_int_equal(kcfg_load(NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.source, path);
	kcfg_free(&c);

	/* only the first entry is read: a missing first file is an error naming it */
	snprintf(list, sizeof(list), "%s/second:%s/first", tmpdir, tmpdir);
	setenv("KUBECONFIG", list, 1);
	assert_true(kcfg_load(NULL, &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "second"));
	free(y);
}

static void test_load_home_and_nothing(void **state)
{
	char home[300], kdir[320], err[512] = "";
	char *y = kubeconfig_yaml("dev");
	const char *old_home = getenv("HOME");
	char *saved = old_home ? strdup(old_home) : NULL;
	struct kube_config c;

	(void)state;
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	assert_int_equal(mkdir(home, 0700), 0);
	setenv("HOME", home, 1);
	assert_int_equal(kcfg_load(NULL, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "KUBECONFIG"));
	assert_null(c.server);

	snprintf(kdir, sizeof(kdir), "%s/.kube", home);
	assert_int_equal(mkdir(kdir, 0700), 0);
	write_file(kdir, "config", y);
	write_file(kdir, "ca.crt", CA_TEXT);
	assert_int_equal(kcfg_load(NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.0.0.1:6443");
	assert_string_equal(c.ca_pem, CA_TEXT);
	assert_non_null(strstr(c.source, ".kube/config"));
	kcfg_free(&c);
	if (saved)
		setenv("HOME", saved, 1);
	free(saved);
	free(y);
}

/* --- kcfg_in_cluster ----------------------------------------------------------------------- */

static void make_sa_dir(const char *name, bool token, bool ca, const char *ns, char *out,
			size_t outlen)
{
	snprintf(out, outlen, "%s/%s", tmpdir, name);
	assert_int_equal(mkdir(out, 0700), 0);
	if (token)
		write_file(out, "token", "sa-token-value\n");
	if (ca)
		write_file(out, "ca.crt", CA_TEXT);
	if (ns)
		write_file(out, "namespace", ns);
}

static void test_in_cluster(void **state)
{
	char sa[300], path[400], err[512] = "";
	struct kube_config c;

	(void)state;
	make_sa_dir("sa", true, true, "games\n", sa, sizeof(sa));
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://10.96.0.1:443");
	snprintf(path, sizeof(path), "%s/token", sa);
	assert_string_equal(c.token_file, path);
	assert_null(c.token); /* read at request time, so rotation is seen */
	assert_string_equal(c.ca_pem, CA_TEXT);
	assert_string_equal(c.namespace, "games");
	assert_string_equal(c.source, "in-cluster");
	assert_false(c.insecure);
	kcfg_free(&c);

	setenv("KUBERNETES_SERVICE_HOST", "::1", 1);
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://[::1]:443");
	kcfg_free(&c);
	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://[fd00:10:96::1]:6443");
	kcfg_free(&c);
}

static void test_in_cluster_missing(void **state)
{
	char sa[300], err[512] = "";
	struct kube_config c;

	(void)state;
	make_sa_dir("sa", true, true, NULL, sa, sizeof(sa));
	/* no environment: not in a cluster */
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
	assert_null(c.server);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), -ENOENT);
	setenv("KUBERNETES_SERVICE_PORT", "", 1);
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), -ENOENT);

	/* no namespace file: "default" */
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), 0);
	assert_string_equal(c.namespace, "default");
	kcfg_free(&c);

	/* no token: -ENOENT naming the file */
	make_sa_dir("notoken", false, true, NULL, sa, sizeof(sa));
	assert_int_equal(kcfg_in_cluster(sa, &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "token"));
	assert_null(c.server);
	/* no CA: an error naming it, nothing leaked */
	make_sa_dir("noca", true, false, "ns", sa, sizeof(sa));
	assert_true(kcfg_in_cluster(sa, &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "ca.crt"));
	assert_null(c.server);
	assert_null(c.token_file);
}

/* --- base64, copy, files ------------------------------------------------------------------- */

static void b64_ok(const char *in, const char *want, size_t want_len)
{
	char *out = (char *)0x1;
	size_t n = 12345;

	if (kcfg_base64_decode(in, strlen(in), &out, &n) != 0)
		fail_msg("\"%s\" refused", in);
	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(out[n], '\0');
	free(out);
}

static void b64_bad(const char *in)
{
	char *out = (char *)0x1;
	size_t n = 0;

	if (kcfg_base64_decode(in, strlen(in), &out, &n) != -EINVAL)
		fail_msg("\"%s\" accepted", in);
	assert_null(out);
}

static void test_base64(void **state)
{
	unsigned char all[256];
	char *enc, *out;
	size_t n;

	(void)state;
	b64_ok("", "", 0);
	b64_ok("Zg==", "f", 1);
	b64_ok("Zm8=", "fo", 2);
	b64_ok("Zm9v", "foo", 3);
	b64_ok("Zm9vYg==", "foob", 4);
	b64_ok("Zm9vYmE=", "fooba", 5);
	b64_ok("Zm9vYmFy", "foobar", 6);
	b64_ok("Zm9v\nYmFy\r\n", "foobar", 6);
	b64_ok("  Z m\t9 v\n", "foo", 3);
	b64_ok("Zg==\n", "f", 1);
	b64_ok("+/+/", "\xfb\xff\xbf", 3);
	b64_ok("AAAA", "\0\0\0", 3);

	b64_bad("Zm9v!");
	b64_bad("Zm9-"); /* base64url is not standard base64 */
	b64_bad("Zm9_");
	b64_bad("Z");	  /* a lone sextet is no byte */
	b64_bad("Zm9vY"); /* the same after a full group */
	b64_bad("Zg=a");  /* data after padding */
	b64_bad("Zg==Zg==");
	b64_bad("Zg===");
	b64_bad("Zm9v\x80");
	out = (char *)0x1;
	assert_int_equal(kcfg_base64_decode("Zm9v\0", 5, &out, &n), -EINVAL); /* a NUL byte */
	assert_null(out);

	/* every byte value survives a round trip; out_len may be NULL */
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t len = 0; len <= 256; len += 37) {
		enc = b64(all, len);
		assert_int_equal(kcfg_base64_decode(enc, strlen(enc), &out, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, all, len);
		free(out);
		assert_int_equal(kcfg_base64_decode(enc, strlen(enc), &out, NULL), 0);
		free(out);
		free(enc);
	}
	/* len bounds the input: what follows is not read */
	assert_int_equal(kcfg_base64_decode("Zm9vYmFy", 4, &out, &n), 0);
	assert_string_equal(out, "foo");
	free(out);
}

static void test_copy(void **state)
{
	struct kube_config a = {0}, b;

	(void)state;
	a.server = strdup("https://s");
	a.token = strdup("tok");
	a.ca_pem = strdup(CA_TEXT);
	a.cert_pem = strdup(CERT_TEXT);
	a.key_pem = strdup(KEY_TEXT);
	a.namespace = strdup("ns");
	a.source = strdup("src");
	a.insecure = true;
	assert_int_equal(kcfg_copy(&a, &b), 0);
	assert_true(b.server != a.server);
	assert_true(b.token != a.token);
	assert_true(b.ca_pem != a.ca_pem);
	assert_true(b.cert_pem != a.cert_pem);
	assert_true(b.key_pem != a.key_pem);
	assert_true(b.namespace != a.namespace);
	assert_true(b.source != a.source);
	assert_null(b.token_file);
	assert_true(b.insecure);
	kcfg_free(&a); /* the copy outlives the original */
	assert_string_equal(b.server, "https://s");
	assert_string_equal(b.token, "tok");
	assert_string_equal(b.ca_pem, CA_TEXT);
	assert_string_equal(b.cert_pem, CERT_TEXT);
	assert_string_equal(b.key_pem, KEY_TEXT);
	assert_string_equal(b.namespace, "ns");
	assert_string_equal(b.source, "src");
	kcfg_free(&b);

	/* an empty config copies to an empty config */
	memset(&a, 0, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(kcfg_copy(&a, &b), 0);
	assert_null(b.server);
	assert_null(b.token_file);
	assert_false(b.insecure);
	kcfg_free(&b);
}

static void test_read_file(void **state)
{
	char path[300];
	char *data, *big;
	size_t n = 99;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/ca.crt", tmpdir);
	assert_int_equal(kcfg_read_file(path, &data, &n), 0);
	assert_string_equal(data, CA_TEXT);
	assert_int_equal(n, strlen(CA_TEXT));
	free(data);
	write_file(tmpdir, "empty", "");
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	assert_int_equal(kcfg_read_file(path, &data, NULL), 0);
	assert_string_equal(data, "");
	free(data);
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	assert_int_equal(kcfg_read_file(path, &data, &n), -ENOENT);
	assert_null(data);

	/* exactly 1 MiB is read, one byte more is refused */
	big = malloc((1u << 20) + 1);
	assert_non_null(big);
	memset(big, 'b', (1u << 20) + 1);
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, 1u << 20, f), 1u << 20);
	fclose(f);
	assert_int_equal(kcfg_read_file(path, &data, &n), 0);
	assert_int_equal(n, 1u << 20);
	assert_int_equal(data[n], '\0');
	free(data);
	f = fopen(path, "ab");
	assert_non_null(f);
	fputc('x', f);
	fclose(f);
	assert_int_equal(kcfg_read_file(path, &data, &n), -E2BIG);
	assert_null(data);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_token_user_ca_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_data_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_files_relative, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_absolute_ca_and_no_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_current_context, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_a_mapping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_explicit_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_home_and_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_in_cluster, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_in_cluster_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_base64, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
