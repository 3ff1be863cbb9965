/* log: one line per event on stderr, key=value, safe from any thread.
 *
 *   ts=2026-11-22T05:10:00.123Z level=info comp=nodesim event=pod_started ns=default pod=web-0
 *
 * Callers pass the event name and a printf-style tail of key=value pairs. Values that may hold
 * spaces or quotes go through log_quote(). Never log tokens, keys or whole request bodies. */
#ifndef OKG_LOG_H
#define OKG_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Sets the component name (borrowed: must outlive logging, use a literal) and the threshold. */
void log_init(const char *component, enum log_level min_level);

/* Parses "debug", "info", "warn", "error". Returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);
bool log_enabled(enum log_level level);

/* Writes one line with a single write(2) so lines from threads never interleave. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes s as a double-quoted value with \" \\ \n \t escaped and control bytes as \xHH, into
 * out (always NUL-terminated, truncated with "..." when too long). Returns out. */
const char *log_quote(const char *s, char *out, size_t outlen);

#define LOG_DEBUGF(ev, ...)                                                                        \
	do {                                                                                       \
		if (log_enabled(LOG_DEBUG))                                                        \
			log_event(LOG_DEBUG, ev, __VA_ARGS__);                                     \
	} while (0)
#define LOG_INFOF(ev, ...)                                                                         \
	do {                                                                                       \
		if (log_enabled(LOG_INFO))                                                         \
			log_event(LOG_INFO, ev, __VA_ARGS__);                                      \
	} while (0)
#define LOG_WARNF(ev, ...)                                                                         \
	do {                                                                                       \
		if (log_enabled(LOG_WARN))                                                         \
			log_event(LOG_WARN, ev, __VA_ARGS__);                                      \
	} while (0)
#define LOG_ERRORF(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)

#endif
