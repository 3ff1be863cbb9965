#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *log_component = "okg";
static volatile int log_min = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *component, enum log_level min_level)
{
	if (component)
		log_component = component;
	log_min = min_level;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (s && strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	if ((int)level < 0 || level > LOG_ERROR)
		return "unknown";
	return level_names[level];
}

bool log_enabled(enum log_level level)
{
	return (int)level >= log_min;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[4096];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	r = snprintf(
	    line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s event=%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000, log_level_name(level), log_component, event ? event : "-");
	if (r < 0)
		return;
	n = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
	if (fmt && fmt[0] && n < sizeof(line) - 2) {
		va_list ap;

		line[n++] = ' ';
		va_start(ap, fmt);
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		if (r > 0)
			n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2; /* truncated: keep room for the newline */
	line[n++] = '\n';
	/* One write so concurrent lines stay whole; a short write to stderr is not retried. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

const char *log_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	if (!out || outlen < 8) {
		if (out && outlen)
			out[0] = '\0';
		return out;
	}
	if (!s)
		s = "";
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[5];
		size_t el;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			el = 2;
		} else if (*p == '\n') {
			memcpy(esc, "\\n", 2);
			el = 2;
		} else if (*p == '\t') {
			memcpy(esc, "\\t", 2);
			el = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			el = 4;
		} else {
			esc[0] = (char)*p;
			el = 1;
		}
		if (o + el + 5 > outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, esc, el);
		o += el;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
