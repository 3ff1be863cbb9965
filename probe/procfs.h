/* procfs: reading what /proc says about a process. The parsers are pure (they take the file's
 * bytes) so tests feed them text; pr_read_file() does the reading. */
#ifndef OKG_PROBE_PROCFS_H
#define OKG_PROBE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PR_MAX_GROUPS	64	   /* supplementary groups taken from a target */
#define PR_MAX_ENVIRON	(1u << 20) /* bytes of /proc/PID/environ read at most */
#define PR_MAX_ENV_VARS 4096	   /* variables passed to a probe at most */

/* From /proc/PID/status. */
struct pr_status {
	uid_t uid; /* effective */
	gid_t gid; /* effective */
	gid_t groups[PR_MAX_GROUPS];
	size_t n_groups;
	bool groups_truncated; /* more than PR_MAX_GROUPS were listed */
	uint64_t cap_eff;
	bool has_cap_eff;
	unsigned umask;
	bool has_umask;
	pid_t ppid;
};

/* From /proc/PID/stat. */
struct pr_stat {
	char state; /* R, S, D, Z, ... */
	pid_t ppid;
	pid_t pgrp;
	unsigned long long utime, stime, cutime, cstime; /* clock ticks */
	unsigned long long start;			 /* start time, clock ticks after boot */
};

/* Parses status text. Returns 0, or -EINVAL when the Uid, Gid or PPid line is missing or
 * malformed. Lines it does not know are ignored. */
int pr_status_parse(const char *text, size_t len, struct pr_status *out);

/* Parses stat text (the command name may hold spaces and parentheses). 0 or -EINVAL. */
int pr_stat_parse(const char *text, size_t len, struct pr_stat *out);

/* environ is NUL-separated "KEY=value" entries (the last one may lack its NUL). */
bool pr_environ_has(const char *env, size_t len, const char *key, const char *value);

/* The value of key, or NULL. *vlen receives its length (it is not NUL-terminated when it is
 * the unterminated last entry). */
const char *pr_environ_get(const char *env, size_t len, const char *key, size_t *vlen);

/* Builds a NULL-terminated vector of the entries that hold '=' (at most PR_MAX_ENV_VARS), in
 * one allocation that also holds the strings: free(*out) releases everything. 0 or -ENOMEM. */
int pr_environ_vec(const char *env, size_t len, char ***out);

/* Reads the file at path, at most max bytes (the rest is ignored), into a new NUL-terminated
 * buffer (*out, caller frees) of *len bytes. Returns 0 or -errno. */
int pr_read_file(const char *path, size_t max, char **out, size_t *len);

/* As pr_read_file() into a caller's buffer of cap bytes (NUL-terminated, so at most cap - 1
 * bytes of the file). Returns the length or -errno. */
long pr_read_small(const char *path, char *buf, size_t cap);

#endif
