#include "test/nodesim/kubelet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "lib/log.h"
#include "lib/tlsgen.h"

struct kl_server {
	struct MHD_Daemon *d;
	struct tg_pair tls;
	char *log_dir;
	pthread_mutex_t lock;
	char *pods_json;
};

static int safe_name(const char *s)
{
	if (!s || !*s || strlen(s) > 253)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '.'))
			return 0;
	return 1;
}

int kl_log_path(const char *log_dir, const char *ns, const char *pod, const char *container,
		char *out, size_t outlen)
{
	int n;

	if (!safe_name(ns) || !safe_name(pod) || !safe_name(container) || strstr(pod, ".."))
		return -EINVAL;
	n = snprintf(out, outlen, "%s/%s_%s_%s.log", log_dir, ns, pod, container);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *ctype,
			     const char *body)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result r;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", ctype);
	r = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result serve_log(struct kl_server *s, struct MHD_Connection *conn, const char *rest)
{
	char ns[256], pod[256], ctr[256], path[1024];
	struct MHD_Response *resp;
	struct stat st;
	enum MHD_Result r;
	int fd;

	if (sscanf(rest, "%255[^/]/%255[^/]/%255[^/?]", ns, pod, ctr) != 3 ||
	    kl_log_path(s->log_dir, ns, pod, ctr, path, sizeof(path)) < 0)
		return reply(conn, 400, "text/plain", "bad log path\n");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return reply(conn, 404, "text/plain", "no such container log\n");
	if (fstat(fd, &st) < 0) {
		close(fd);
		return reply(conn, 500, "text/plain", "stat failed\n");
	}
	resp = MHD_create_response_from_fd((size_t)st.st_size, fd); /* owns fd */
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/plain");
	r = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct kl_server *s = cls;

	(void)version, (void)upload, (void)con_cls;
	if (*upload_size) {
		*upload_size = 0; /* bodies are ignored */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0)
		return reply(conn, 405, "text/plain", "method not allowed\n");
	if (!strcmp(url, "/healthz"))
		return reply(conn, 200, "text/plain", "ok");
	if (!strcmp(url, "/pods")) {
		enum MHD_Result r;

		pthread_mutex_lock(&s->lock);
		r = reply(conn, 200, "application/json",
			  s->pods_json ? s->pods_json : "{\"kind\":\"PodList\",\"items\":[]}");
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	if (!strncmp(url, "/containerLogs/", 15))
		return serve_log(s, conn, url + 15);
	return reply(conn, 404, "text/plain", "not found\n");
}

void kl_set_pods(struct kl_server *s, const char *json)
{
	char *copy = strdup(json);

	if (!copy)
		return;
	pthread_mutex_lock(&s->lock);
	free(s->pods_json);
	s->pods_json = copy;
	pthread_mutex_unlock(&s->lock);
}

int kl_start(const char *addr, int port, const char *log_dir, struct kl_server **out, int *out_port)
{
	const char *ips[] = {addr};
	const char *dns[] = {"localhost"};
	struct tg_cert_req req = {.common_name = "okg-nodesim",
				  .dns_names = dns,
				  .n_dns = 1,
				  .ip_addrs = ips,
				  .n_ip = 1,
				  .valid_days = 30,
				  .key_type = TG_KEY_EC_P256};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct kl_server *s;
	const union MHD_DaemonInfo *info;
	int r;

	*out = NULL;
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->log_dir = strdup(log_dir);
	if (!s->log_dir) {
		r = -ENOMEM;
		goto fail;
	}
	r = tg_self_signed(&req, &s->tls);
	if (r < 0)
		goto fail;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG,
				0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_HTTPS_MEM_KEY, s->tls.key_pem, MHD_OPTION_HTTPS_MEM_CERT,
				s->tls.cert_pem, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (!s->d) {
		r = -EADDRINUSE;
		goto fail;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	*out_port = info ? info->port : port;
	*out = s;
	return 0;
fail:
	kl_stop(s);
	return r;
}

void kl_stop(struct kl_server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	tg_pair_free(&s->tls);
	free(s->log_dir);
	free(s->pods_json);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
