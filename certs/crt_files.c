#include "certs/crt_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "lib/kubeconfig.h"

/* 1 if path holds exactly content, 0 if not (or missing), negative errno on a read error. */
static int same_content(const char *path, const char *content)
{
	char *cur = NULL;
	size_t len = 0;
	int r = kcfg_read_file(path, &cur, &len);

	if (r == -ENOENT || r == -E2BIG)
		return 0;
	if (r < 0)
		return r;
	r = len == strlen(content) && memcmp(cur, content, len) == 0;
	OPENSSL_cleanse(cur, len);
	free(cur);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int replace_file(const char *dir, const char *name, const char *content, mode_t mode,
			int *written, char *err, size_t errlen)
{
	char path[4096], tmp[4096];
	int fd = -1, r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}
	r = same_content(path, content);
	if (r < 0) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(-r));
		return r;
	}
	if (r == 1)
		return 0;
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: create: %s", tmp, strerror(errno));
		return r;
	}
	if (fchmod(fd, mode) < 0 || (r = write_all(fd, content, strlen(content))) < 0 ||
	    fsync(fd) < 0) {
		r = r < 0 ? r : -errno;
		snprintf(err, errlen, "%s: write: %s", tmp, strerror(-r));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = -errno;
		snprintf(err, errlen, "%s: close: %s", tmp, strerror(-r));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: rename: %s", path, strerror(-r));
		goto fail;
	}
	(*written)++;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}

int crt_write_dir(const char *dir, const struct crt_material *m, int *written, char *err,
		  size_t errlen)
{
	int r;

	if (!dir || !dir[0] || !m || !m->tls_crt || !m->tls_key || !m->ca_crt || !written || !err ||
	    !errlen)
		return -EINVAL;
	*written = 0;
	err[0] = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "%s: mkdir: %s", dir, strerror(errno));
		return r;
	}
	r = replace_file(dir, "ca.crt", m->ca_crt, 0644, written, err, errlen);
	if (r == 0)
		r = replace_file(dir, "tls.key", m->tls_key, 0600, written, err, errlen);
	if (r == 0)
		r = replace_file(dir, "tls.crt", m->tls_crt, 0644, written, err, errlen);
	if (r == 0) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) { /* make the renames durable; best effort */
			fsync(dfd);
			close(dfd);
		}
	}
	return r;
}
