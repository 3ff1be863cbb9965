#include "lib/kubeconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/yamljson.h"

#define KCFG_FILE_MAX  (1u << 20)
#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void kcfg_free(struct kube_config *c)
{
	if (!c)
		return;
	free(c->server);
	wipe_free(c->token);
	free(c->token_file);
	free(c->ca_pem);
	free(c->cert_pem);
	wipe_free(c->key_pem);
	free(c->namespace);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int kcfg_copy(const struct kube_config *src, struct kube_config *dst)
{
	memset(dst, 0, sizeof(*dst));
	if (dup_opt(src->server, &dst->server) || dup_opt(src->token, &dst->token) ||
	    dup_opt(src->token_file, &dst->token_file) || dup_opt(src->ca_pem, &dst->ca_pem) ||
	    dup_opt(src->cert_pem, &dst->cert_pem) || dup_opt(src->key_pem, &dst->key_pem) ||
	    dup_opt(src->namespace, &dst->namespace) || dup_opt(src->source, &dst->source)) {
		kcfg_free(dst);
		return -ENOMEM;
	}
	dst->insecure = src->insecure;
	return 0;
}

int kcfg_read_file(const char *path, char **out, size_t *out_len)
{
	FILE *f = NULL;
	char *data = NULL;
	size_t n = 0, cap = 4096;
	int r = 0;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	data = malloc(cap);
	if (!data) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		size_t got;

		if (n + 1 >= cap) {
			char *p;

			if (cap >= KCFG_FILE_MAX + 1) {
				r = -E2BIG;
				goto out;
			}
			cap *= 2;
			p = realloc(data, cap);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			data = p;
		}
		got = fread(data + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				r = -EIO;
			break;
		}
	}
	if (n > KCFG_FILE_MAX)
		r = -E2BIG;
out:
	if (f)
		fclose(f);
	if (r < 0) {
		free(data);
		return r;
	}
	data[n] = '\0';
	*out = data;
	if (out_len)
		*out_len = n;
	return 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int kcfg_base64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
	char *o = malloc(len / 4 * 3 + 4);
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0, pad = 0;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || pad) {
			free(o);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (pad > 2 || bits >= 6) {
		free(o);
		return -EINVAL;
	}
	o[n] = '\0';
	*out = o;
	if (out_len)
		*out_len = n;
	return 0;
}

static const char *str_field(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* Finds the entry named name in a kubeconfig list (clusters, users, contexts) and returns its
 * inner object (borrowed). */
static const cJSON *named_entry(const cJSON *doc, const char *list, const char *inner,
				const char *name)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, list);
	const cJSON *it;

	if (!cJSON_IsArray(arr) || !name)
		return NULL;
	cJSON_ArrayForEach(it, arr)
	{
		const char *n = str_field(it, "name");

		if (n && strcmp(n, name) == 0) {
			const cJSON *o = cJSON_GetObjectItemCaseSensitive(it, inner);

			return cJSON_IsObject(o) ? o : NULL;
		}
	}
	return NULL;
}

/* Loads PEM material from "<field>-data" (base64) or "<field>" (a file path). */
static int load_material(const cJSON *obj, const char *field, const char *base_dir, char **out,
			 char *err, size_t errlen, const char *where)
{
	char key[64];
	const char *data, *path;
	char full[4096];
	int r;

	*out = NULL;
	snprintf(key, sizeof(key), "%s-data", field);
	data = str_field(obj, key);
	if (data) {
		r = kcfg_base64_decode(data, strlen(data), out, NULL);
		if (r < 0)
			snprintf(err, errlen, "%s.%s: not valid base64", where, key);
		return r;
	}
	path = str_field(obj, field);
	if (!path)
		return 0;
	if (path[0] != '/' && base_dir)
		r = snprintf(full, sizeof(full), "%s/%s", base_dir, path);
	else
		r = snprintf(full, sizeof(full), "%s", path);
	if (r < 0 || (size_t)r >= sizeof(full)) {
		snprintf(err, errlen, "%s.%s: path too long", where, field);
		return -ENAMETOOLONG;
	}
	r = kcfg_read_file(full, out, NULL);
	if (r < 0)
		snprintf(err, errlen, "%s.%s: cannot read %s: %s", where, field, full,
			 strerror(-r));
	return r;
}

int kcfg_from_doc(const cJSON *doc, const char *context, const char *base_dir,
		  struct kube_config *out, char *err, size_t errlen)
{
	const cJSON *ctx, *cluster, *user = NULL;
	const char *cluster_name, *user_name, *server, *ns;
	int r;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "kubeconfig: not a mapping");
		return -EINVAL;
	}
	if (!context)
		context = str_field(doc, "current-context");
	if (!context) {
		snprintf(err, errlen, "current-context: not set and no context given");
		return -EINVAL;
	}
	ctx = named_entry(doc, "contexts", "context", context);
	if (!ctx) {
		snprintf(err, errlen, "contexts: no context named \"%s\"", context);
		return -EINVAL;
	}
	cluster_name = str_field(ctx, "cluster");
	user_name = str_field(ctx, "user");
	cluster = named_entry(doc, "clusters", "cluster", cluster_name);
	if (!cluster) {
		snprintf(err, errlen, "clusters: no cluster named \"%s\" (context \"%s\")",
			 cluster_name ? cluster_name : "", context);
		return -EINVAL;
	}
	if (user_name) {
		user = named_entry(doc, "users", "user", user_name);
		if (!user) {
			snprintf(err, errlen, "users: no user named \"%s\" (context \"%s\")",
				 user_name, context);
			return -EINVAL;
		}
	}
	server = str_field(cluster, "server");
	if (!server || strncmp(server, "https://", 8) != 0) {
		snprintf(err, errlen, "clusters[%s].server: must be an https:// URL", cluster_name);
		return -EINVAL;
	}
	out->server = strdup(server);
	if (!out->server)
		goto nomem;
	while (strlen(out->server) > 8 && out->server[strlen(out->server) - 1] == '/')
		out->server[strlen(out->server) - 1] = '\0';
	{
		const cJSON *ins =
		    cJSON_GetObjectItemCaseSensitive(cluster, "insecure-skip-tls-verify");

		out->insecure = cJSON_IsTrue(ins);
	}
	r = load_material(cluster, "certificate-authority", base_dir, &out->ca_pem, err, errlen,
			  "cluster");
	if (r < 0)
		goto fail;
	if (user) {
		const char *tok = str_field(user, "token");
		const char *tokfile = str_field(user, "tokenFile");

		if (cJSON_GetObjectItemCaseSensitive(user, "exec") ||
		    cJSON_GetObjectItemCaseSensitive(user, "auth-provider")) {
			snprintf(err, errlen,
				 "users[%s]: exec and auth-provider plugins are not supported; use "
				 "a token or a client certificate",
				 user_name);
			r = -ENOTSUP;
			goto fail;
		}
		if (tok && !(out->token = strdup(tok)))
			goto nomem;
		if (tokfile && !(out->token_file = strdup(tokfile)))
			goto nomem;
		r = load_material(user, "client-certificate", base_dir, &out->cert_pem, err, errlen,
				  "user");
		if (r < 0)
			goto fail;
		r = load_material(user, "client-key", base_dir, &out->key_pem, err, errlen, "user");
		if (r < 0)
			goto fail;
		if (!out->cert_pem != !out->key_pem) {
			snprintf(err, errlen,
				 "users[%s]: client-certificate and client-key go together",
				 user_name);
			r = -EINVAL;
			goto fail;
		}
	}
	ns = str_field(ctx, "namespace");
	out->namespace = strdup(ns ? ns : "default");
	if (!out->namespace)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	r = -ENOMEM;
fail:
	kcfg_free(out);
	return r;
}

int kcfg_in_cluster(const char *sa_dir, struct kube_config *out, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char path[4096], url[512];
	struct stat st;
	char *ns = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (!sa_dir)
		sa_dir = SA_DIR_DEFAULT;
	if (!host || !*host || !port || !*port) {
		snprintf(err, errlen, "not in a cluster: KUBERNETES_SERVICE_HOST/PORT unset");
		return -ENOENT;
	}
	if (strchr(host, ':'))
		r = snprintf(url, sizeof(url), "https://[%s]:%s", host, port);
	else
		r = snprintf(url, sizeof(url), "https://%s:%s", host, port);
	if (r < 0 || (size_t)r >= sizeof(url)) {
		snprintf(err, errlen, "KUBERNETES_SERVICE_HOST: too long");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/token", sa_dir);
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "service account token %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	out->server = strdup(url);
	out->token_file = strdup(path);
	out->source = strdup("in-cluster");
	if (!out->server || !out->token_file || !out->source)
		goto nomem;
	snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
	r = kcfg_read_file(path, &out->ca_pem, NULL);
	if (r < 0) {
		snprintf(err, errlen, "service account CA %s: %s", path, strerror(-r));
		kcfg_free(out);
		return r;
	}
	snprintf(path, sizeof(path), "%s/namespace", sa_dir);
	if (kcfg_read_file(path, &ns, NULL) == 0 && ns[strspn(ns, " \r\n\t")]) {
		char *start = ns + strspn(ns, " \r\n\t");

		start[strcspn(start, " \r\n\t")] = '\0';
		memmove(ns, start, strlen(start) + 1);
		out->namespace = ns;
	} else {
		free(ns);
		out->namespace = strdup("default");
		if (!out->namespace)
			goto nomem;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	kcfg_free(out);
	return -ENOMEM;
}

static int load_file(const char *path, struct kube_config *out, char *err, size_t errlen)
{
	cJSON *doc = NULL;
	char yerr[256];
	char *dir = NULL, *slash;
	int r;

	r = yj_parse_file(path, &doc, yerr, sizeof(yerr));
	if (r < 0) {
		snprintf(err, errlen, "kubeconfig %s: %s", path, yerr);
		return r;
	}
	dir = strdup(path);
	if (!dir) {
		r = -ENOMEM;
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0'; /* relative paths in a kubeconfig are relative to its directory */
	{
		char inner[400];

		r = kcfg_from_doc(doc, NULL, slash ? dir : ".", out, inner, sizeof(inner));
		if (r < 0) {
			snprintf(err, errlen, "kubeconfig %s: %s", path, inner);
			goto out;
		}
	}
	out->source = strdup(path);
	if (!out->source) {
		kcfg_free(out);
		r = -ENOMEM;
	}
out:
	free(dir);
	cJSON_Delete(doc);
	return r;
}

int kcfg_load(const char *path, struct kube_config *out, char *err, size_t errlen)
{
	const char *env = getenv("KUBECONFIG");
	const char *home = getenv("HOME");
	char first[4096], homecfg[4096];
	int r;

	memset(out, 0, sizeof(*out));
	if (path && *path)
		return load_file(path, out, err, errlen);
	while (env && *env == ':')
		env++; /* empty entries are skipped, as kubectl does */
	if (env && *env) {
		size_t n = strcspn(env, ":");

		if (n >= sizeof(first)) {
			snprintf(err, errlen, "KUBECONFIG: path too long");
			return -ENAMETOOLONG;
		}
		memcpy(first, env, n);
		first[n] = '\0';
		return load_file(first, out, err, errlen);
	}
	r = kcfg_in_cluster(NULL, out, err, errlen);
	if (r != -ENOENT)
		return r;
	if (home) {
		snprintf(homecfg, sizeof(homecfg), "%s/.kube/config", home);
		if (access(homecfg, R_OK) == 0)
			return load_file(homecfg, out, err, errlen);
	}
	snprintf(err, errlen,
		 "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, or run in a pod");
	return -ENOENT;
}
