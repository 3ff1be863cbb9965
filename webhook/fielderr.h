/* fielderr: field errors and warnings collected while checking an object, printed the way the
 * Kubernetes API server prints its own validation errors:
 *
 *   spec.serviceQualities[1].name: Duplicate value: "healthy"
 *   spec.reserveGameServerIds[2]: Invalid value: "5-3": range start must not be greater than its
 * end
 *
 * and turned into a Status (reason Invalid, code 422, details.causes) for the admission response.
 * Lists are capped (FE_MAX_ERRORS, FE_MAX_WARNINGS) so a hostile object cannot make the answer
 * huge; what is dropped is counted. Allocation failures are sticky (l->err). */
#ifndef OKG_WEBHOOK_FIELDERR_H
#define OKG_WEBHOOK_FIELDERR_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "webhook/wjson.h"

#define FE_MAX_ERRORS	  64
#define FE_MAX_WARNINGS	  16
#define FE_MAX_WARN_LEN	  240 /* the API server truncates longer warnings */
#define FE_MAX_VALUE_SHOW 120 /* characters of a bad value quoted in a message */

enum fe_type {
	FERR_REQUIRED,
	FERR_INVALID,
	FERR_DUPLICATE,
	FERR_NOT_SUPPORTED,
	FERR_NOT_FOUND,
	FERR_FORBIDDEN,
	FERR_TOO_LONG,
	FERR_TOO_MANY,
};

struct fe_err {
	enum fe_type type;
	char *field; /* owned: "spec.replicas" */
	char *body;  /* owned: "Invalid value: -1: must be greater than or equal to 0" */
};

struct fe_list {
	struct fe_err *errs; /* owned */
	size_t n_errs, cap_errs, dropped_errs;
	char **warns; /* owned strings */
	size_t n_warns, cap_warns, dropped_warns;
	int err; /* -ENOMEM once an allocation failed */
};

void fe_init(struct fe_list *l);
void fe_free(struct fe_list *l); /* NULL-safe; leaves an empty list */

/* Adds an error on field (borrowed). bad (borrowed, may be NULL) is the offending value, shown
 * as Go shows it (strings quoted, numbers bare, objects as compact JSON); NULL omits it, as for
 * Required and Forbidden. detail is a printf format, may be NULL. */
void fe_add(struct fe_list *l, enum fe_type type, const char *field, const cJSON *bad,
	    const char *detail, ...) __attribute__((format(printf, 5, 6)));

/* As fe_add() with a string as the bad value (borrowed, not NULL). */
void fe_add_str(struct fe_list *l, enum fe_type type, const char *field, const char *bad,
		const char *detail, ...) __attribute__((format(printf, 5, 6)));

/* Adds a warning (printf format), truncated to FE_MAX_WARN_LEN characters. */
void fe_warn(struct fe_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "Invalid value", "Required value", ... */
const char *fe_type_text(enum fe_type type);
/* The matching metav1.CauseType: "FieldValueInvalid", ... */
const char *fe_cause_reason(enum fe_type type);

/* Writes "<kind>.<group> \"<name>\" is invalid: <errors>" into w: one error bare, several in
 * brackets separated by ", " (the API server's aggregate format). */
void fe_write_message(struct wj *w, const struct fe_list *l, const char *kind, const char *group,
		      const char *name);

/* Writes the whole "status" object (reason Invalid, code 422, details with causes) into w. */
void fe_write_status(struct wj *w, const struct fe_list *l, const char *kind, const char *group,
		     const char *name);

/* Writes the warnings as a JSON array of strings. */
void fe_write_warnings(struct wj *w, const struct fe_list *l);

#endif
