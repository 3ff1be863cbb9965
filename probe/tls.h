/* tls: TLS client connections through the system's OpenSSL, loaded with dlopen() on first
 * use (libssl.so.3). Pods whose probes and report URL are plain HTTP never load it, which
 * keeps about 5 MiB of resident memory (OpenSSL's) out of every pod that does not need it.
 *
 * Probes do not verify certificates (as the kubelet's HTTPS probes do not). Reports verify
 * the controller's certificate and name when a CA file is given. */
#ifndef OKG_PROBE_TLS_H
#define OKG_PROBE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pr_tls; /* one connection */

/* Loads libssl once (thread-safe). 0, or -ENOSYS with err set when it is not installed. */
int pr_tls_load(char *err, size_t errlen);

/* Runs the handshake on the connected non-blocking socket fd (borrowed: the caller closes it
 * after pr_tls_free()). sni: the server name to send, or NULL (IP addresses). verify: check
 * the certificate chain against ca_file (NULL: the system's store) and the name against sni
 * (or the IP in ip_host). Returns 0 and *out, or a negative errno with err set. */
int pr_tls_connect(int fd, const char *sni, const char *ip_host, bool verify, const char *ca_file,
		   int64_t deadline_ms, int stop_fd, struct pr_tls **out, char *err, size_t errlen);

/* Reads up to n bytes: > 0, 0 at the end of the stream, or a negative errno. */
ssize_t pr_tls_read(struct pr_tls *t, void *buf, size_t n, int64_t deadline_ms, int stop_fd);

/* Writes all n bytes: 0 or a negative errno. */
int pr_tls_write(struct pr_tls *t, const void *buf, size_t n, int64_t deadline_ms, int stop_fd);

/* Frees the connection (without a close_notify round trip). NULL-safe. */
void pr_tls_free(struct pr_tls *t);

#endif
