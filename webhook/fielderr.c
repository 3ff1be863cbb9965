#include "webhook/fielderr.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fe_init(struct fe_list *l)
{
	memset(l, 0, sizeof(*l));
}

void fe_free(struct fe_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_errs; i++) {
		free(l->errs[i].field);
		free(l->errs[i].body);
	}
	free(l->errs);
	for (size_t i = 0; i < l->n_warns; i++)
		free(l->warns[i]);
	free(l->warns);
	fe_init(l);
}

const char *fe_type_text(enum fe_type type)
{
	switch (type) {
	case FERR_REQUIRED:
		return "Required value";
	case FERR_INVALID:
		return "Invalid value";
	case FERR_DUPLICATE:
		return "Duplicate value";
	case FERR_NOT_SUPPORTED:
		return "Unsupported value";
	case FERR_NOT_FOUND:
		return "Not found";
	case FERR_FORBIDDEN:
		return "Forbidden";
	case FERR_TOO_LONG:
		return "Too long";
	case FERR_TOO_MANY:
		return "Too many";
	}
	return "Invalid value";
}

const char *fe_cause_reason(enum fe_type type)
{
	switch (type) {
	case FERR_REQUIRED:
		return "FieldValueRequired";
	case FERR_INVALID:
		return "FieldValueInvalid";
	case FERR_DUPLICATE:
		return "FieldValueDuplicate";
	case FERR_NOT_SUPPORTED:
		return "FieldValueNotSupported";
	case FERR_NOT_FOUND:
		return "FieldValueNotFound";
	case FERR_FORBIDDEN:
		return "FieldValueForbidden";
	case FERR_TOO_LONG:
		return "FieldValueTooLong";
	case FERR_TOO_MANY:
		return "FieldValueTooMany";
	}
	return "FieldValueInvalid";
}

/* Writes a bad value as Go's field errors print it. */
static void write_value(struct wj *w, const cJSON *v)
{
	char tmp[64];

	if (cJSON_IsString(v) && v->valuestring) {
		wj_goquote(w, v->valuestring, FE_MAX_VALUE_SHOW);
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(tmp, sizeof(tmp), "%.0f", d);
		else
			snprintf(tmp, sizeof(tmp), "%g", d);
		wj_raw(w, tmp);
	} else if (cJSON_IsBool(v)) {
		wj_raw(w, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		wj_raw(w, "null");
	} else {
		char *s = cJSON_PrintUnformatted(v);

		if (!s) {
			w->err = -ENOMEM;
			return;
		}
		if (strlen(s) > FE_MAX_VALUE_SHOW) {
			wj_rawn(w, s, FE_MAX_VALUE_SHOW);
			wj_raw(w, "...");
		} else {
			wj_raw(w, s);
		}
		cJSON_free(s);
	}
}

static void add_err(struct fe_list *l, enum fe_type type, const char *field, const cJSON *bad,
		    const char *bad_str, const char *detail, va_list ap)
{
	struct wj body;
	char *text = NULL, *f = NULL;

	if (l->err)
		return;
	if (l->n_errs >= FE_MAX_ERRORS) {
		l->dropped_errs++;
		return;
	}
	if (l->n_errs == l->cap_errs) {
		size_t nc = l->cap_errs ? l->cap_errs * 2 : 8;
		struct fe_err *p = realloc(l->errs, nc * sizeof(*p));

		if (!p) {
			l->err = -ENOMEM;
			return;
		}
		l->errs = p;
		l->cap_errs = nc;
	}
	wj_init(&body, 4096);
	wj_raw(&body, fe_type_text(type));
	if (bad_str) {
		wj_raw(&body, ": ");
		wj_goquote(&body, bad_str, FE_MAX_VALUE_SHOW);
	} else if (bad) {
		wj_raw(&body, ": ");
		write_value(&body, bad);
	}
	if (detail && detail[0]) {
		char d[1024];

		vsnprintf(d, sizeof(d), detail, ap);
		wj_raw(&body, ": ");
		wj_raw(&body, d);
	}
	if (body.err == -E2BIG) { /* an overlong detail: keep what fitted */
		body.err = 0;
	}
	f = strdup(field ? field : "");
	if (wj_finish(&body, &text, NULL) < 0 || !f) {
		free(text);
		free(f);
		l->err = -ENOMEM;
		return;
	}
	l->errs[l->n_errs].type = type;
	l->errs[l->n_errs].field = f;
	l->errs[l->n_errs].body = text;
	l->n_errs++;
}

void fe_add(struct fe_list *l, enum fe_type type, const char *field, const cJSON *bad,
	    const char *detail, ...)
{
	va_list ap;

	va_start(ap, detail);
	add_err(l, type, field, bad, NULL, detail, ap);
	va_end(ap);
}

void fe_add_str(struct fe_list *l, enum fe_type type, const char *field, const char *bad,
		const char *detail, ...)
{
	va_list ap;

	va_start(ap, detail);
	add_err(l, type, field, NULL, bad ? bad : "", detail, ap);
	va_end(ap);
}

void fe_warn(struct fe_list *l, const char *fmt, ...)
{
	char text[FE_MAX_WARN_LEN + 1];
	va_list ap;
	char *s;
	int n;

	if (l->err)
		return;
	if (l->n_warns >= FE_MAX_WARNINGS) {
		l->dropped_warns++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(text)) /* truncated: say so */
		memcpy(text + sizeof(text) - 4, "...", 4);
	if (l->n_warns == l->cap_warns) {
		size_t nc = l->cap_warns ? l->cap_warns * 2 : 4;
		char **p = realloc(l->warns, nc * sizeof(*p));

		if (!p) {
			l->err = -ENOMEM;
			return;
		}
		l->warns = p;
		l->cap_warns = nc;
	}
	s = strdup(text);
	if (!s) {
		l->err = -ENOMEM;
		return;
	}
	l->warns[l->n_warns++] = s;
}

/* Writes the text of one error: "field: body" (no field: just the body). */
static void write_error_text(struct wj *w, const struct fe_err *e)
{
	if (e->field[0]) {
		wj_raw(w, e->field);
		wj_raw(w, ": ");
	}
	wj_raw(w, e->body);
}

/* The message is assembled unquoted and then quoted as a whole by the caller. */
static int message_text(const struct fe_list *l, const char *kind, const char *group,
			const char *name, char **out)
{
	struct wj m;
	size_t shown = l->n_errs;

	wj_init(&m, 256 * 1024);
	wj_raw(&m, kind);
	wj_raw(&m, ".");
	wj_raw(&m, group);
	wj_raw(&m, " ");
	wj_goquote(&m, name ? name : "", 253);
	wj_raw(&m, " is invalid: ");
	if (shown + (l->dropped_errs ? 1 : 0) > 1)
		wj_raw(&m, "[");
	for (size_t i = 0; i < shown; i++) {
		if (i)
			wj_raw(&m, ", ");
		write_error_text(&m, &l->errs[i]);
	}
	if (l->dropped_errs) {
		char tmp[64];

		snprintf(tmp, sizeof(tmp), "%s%zu more errors not shown", shown ? ", " : "",
			 l->dropped_errs);
		wj_raw(&m, tmp);
	}
	if (shown + (l->dropped_errs ? 1 : 0) > 1)
		wj_raw(&m, "]");
	return wj_finish(&m, out, NULL);
}

void fe_write_message(struct wj *w, const struct fe_list *l, const char *kind, const char *group,
		      const char *name)
{
	char *text = NULL;
	int r = message_text(l, kind, group, name, &text);

	if (r < 0) {
		if (!w->err)
			w->err = r;
		return;
	}
	wj_str(w, text);
	free(text);
}

void fe_write_status(struct wj *w, const struct fe_list *l, const char *kind, const char *group,
		     const char *name)
{
	wj_raw(w, "{\"metadata\":{},\"status\":\"Failure\",\"message\":");
	fe_write_message(w, l, kind, group, name);
	wj_raw(w, ",\"reason\":\"Invalid\",\"details\":{\"name\":");
	wj_str(w, name ? name : "");
	wj_raw(w, ",\"group\":");
	wj_str(w, group);
	wj_raw(w, ",\"kind\":");
	wj_str(w, kind);
	wj_raw(w, ",\"causes\":[");
	for (size_t i = 0; i < l->n_errs; i++) {
		if (i)
			wj_raw(w, ",");
		wj_raw(w, "{\"reason\":");
		wj_str(w, fe_cause_reason(l->errs[i].type));
		wj_raw(w, ",\"message\":");
		wj_str(w, l->errs[i].body);
		wj_raw(w, ",\"field\":");
		wj_str(w, l->errs[i].field);
		wj_raw(w, "}");
	}
	wj_raw(w, "]},\"code\":422}");
}

void fe_write_warnings(struct wj *w, const struct fe_list *l)
{
	wj_raw(w, "[");
	for (size_t i = 0; i < l->n_warns; i++) {
		if (i)
			wj_raw(w, ",");
		wj_str(w, l->warns[i]);
	}
	if (l->dropped_warns) {
		char tmp[64];

		snprintf(tmp, sizeof(tmp), "%zu more warnings not shown", l->dropped_warns);
		if (l->n_warns)
			wj_raw(w, ",");
		wj_str(w, tmp);
	}
	wj_raw(w, "]");
}
