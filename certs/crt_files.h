/* crt_files: writes the serving material into a directory for a webhook process that is not
 * fed by a Secret volume (local runs, tests): tls.key (0600), tls.crt and ca.crt (0644). */
#ifndef OKG_CERTS_CRT_FILES_H
#define OKG_CERTS_CRT_FILES_H

#include "certs/crt_plan.h"

/* Creates dir (0700) if it does not exist. Each file is replaced atomically (a temporary file in
 * dir, fsync, rename) and only when its content differs. Order: ca.crt first (the bundle always
 * trusts both the old and the new serving certificate), then the key, then the certificate, so
 * a reader that reloads when tls.crt changes finds the matching key already there. ca.key is
 * never written. *written counts the files replaced. On error err names the file and cause. */
int crt_write_dir(const char *dir, const struct crt_material *m, int *written, char *err,
		  size_t errlen);

#endif
