/* scalerpb: the protobuf wire format of the few messages of KEDA's externalscaler.proto, and
 * gRPC's 5-byte message framing. Pure functions: no I/O, no globals.
 *
 *   ScaledObjectRef    { string name = 1; string namespace = 2;
 *                        map<string, string> scalerMetadata = 3; }
 *   GetMetricsRequest  { ScaledObjectRef scaledObjectRef = 1; string metricName = 2; }
 *   IsActiveResponse   { bool result = 1; }
 *   MetricSpec         { string metricName = 1; int64 targetSize = 2; double targetSizeFloat = 3; }
 *   MetricValue        { string metricName = 1; int64 metricValue = 2; double metricValueFloat = 3;
 * } GetMetricSpecResponse { repeated MetricSpec metricSpecs = 1; } GetMetricsResponse    { repeated
 * MetricValue metricValues = 1; }
 *
 * MetricSpec and MetricValue share one layout (string 1, int64 2, double 3), so both lists are
 * one type here (struct spb_metric).
 *
 * Decoders accept any bytes: unknown fields are skipped (varint, fixed64, length-delimited and
 * fixed32 wire types), a known field with an unexpected wire type is skipped as unknown (as the
 * reference implementations do), lengths are checked against the input, and proto3 merge rules
 * apply (a repeated scalar field: the last wins; a repeated message field: merged; a repeated
 * map key: the last wins). Refused with -EBADMSG: truncated input, a varint longer than 10
 * bytes, field number 0, group wire types (3, 4) and wire types 6 and 7, strings that are not
 * UTF-8 or hold a NUL byte. Refused with -E2BIG: a string longer than SPB_STR_MAX, more than
 * SPB_META_MAX metadata keys or SPB_LIST_MAX list entries. On any error the output is left
 * empty (nothing to free, though freeing is harmless).
 *
 * Encoders write proto3's canonical form (fields in number order, default values omitted; map
 * entries always carry key and value) and append to a struct buf, whose cap bounds the output. */
#ifndef OKG_CONTROLLER_SCALERPB_H
#define OKG_CONTROLLER_SCALERPB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define SPB_STR_MAX  4096 /* longest string field decoded */
#define SPB_META_MAX 64	  /* most distinct scalerMetadata keys decoded */
#define SPB_LIST_MAX 16	  /* most MetricSpec / MetricValue entries decoded */

struct spb_kv {
	char *key;   /* owned, never NULL */
	char *value; /* owned, never NULL */
};

/* ScaledObjectRef. After a successful decode every string is non-NULL ("" when absent). For
 * encoding, NULL strings are written as "" (that is, omitted). */
struct spb_ref {
	char *name;	     /* owned */
	char *ns;	     /* owned */
	struct spb_kv *meta; /* owned array of n_meta entries, in first-seen order */
	size_t n_meta;
};

/* GetMetricsRequest. */
struct spb_metrics_req {
	struct spb_ref ref;
	char *metric_name; /* owned */
};

/* One MetricSpec (i = targetSize, f = targetSizeFloat) or MetricValue (i = metricValue,
 * f = metricValueFloat). */
struct spb_metric {
	char *name; /* owned after decode; borrowed for encode */
	int64_t i;
	double f;
};

struct spb_metric_list {
	struct spb_metric *v; /* owned array */
	size_t n;
};

/* Returns 0, -EBADMSG, -E2BIG or -ENOMEM. *out is overwritten (not freed first). */
int spb_ref_decode(const uint8_t *p, size_t n, struct spb_ref *out);
int spb_metrics_req_decode(const uint8_t *p, size_t n, struct spb_metrics_req *out);
int spb_is_active_decode(const uint8_t *p, size_t n, bool *out);
int spb_metric_list_decode(const uint8_t *p, size_t n, struct spb_metric_list *out);

/* Frees the owned members and zeroes the struct. NULL-safe. */
void spb_ref_free(struct spb_ref *r);
void spb_metrics_req_free(struct spb_metrics_req *r);
void spb_metric_list_free(struct spb_metric_list *l);

/* The value of a metadata key, or NULL when absent (borrowed from r). */
const char *spb_ref_meta(const struct spb_ref *r, const char *key);

/* Append the encoded message to out. Return 0, -E2BIG (out's cap; out may then hold part of
 * the message) or -ENOMEM. */
int spb_ref_encode(const struct spb_ref *r, struct buf *out);
int spb_metrics_req_encode(const struct spb_metrics_req *r, struct buf *out);
int spb_is_active_encode(bool result, struct buf *out);
int spb_metric_list_encode(const struct spb_metric *v, size_t n, struct buf *out);

/* gRPC length-prefixed message framing: a flag byte (bit 0: compressed), a 4-byte big-endian
 * length, the message. */
#define SPB_GRPC_PREFIX 5

/* Appends one uncompressed frame holding msg. Same returns as buf_append(). */
int spb_grpc_frame(const uint8_t *msg, size_t n, struct buf *out);

enum spb_unframe {
	SPB_UNFRAME_OK = 0,	   /* exactly one uncompressed message */
	SPB_UNFRAME_EMPTY,	   /* no message at all */
	SPB_UNFRAME_TRUNCATED,	   /* a prefix or a message cut short */
	SPB_UNFRAME_TOO_BIG,	   /* the declared length exceeds max */
	SPB_UNFRAME_COMPRESSED,	   /* the compressed flag is set */
	SPB_UNFRAME_BAD_FLAGS,	   /* flag bits other than bit 0 set */
	SPB_UNFRAME_MORE_THAN_ONE, /* bytes after the first message */
};

/* Reads the single message of a unary or server-streaming request body [p, p+n): on
 * SPB_UNFRAME_OK, *msg / *msg_len point into p. max caps the declared message length. */
enum spb_unframe spb_grpc_unframe(const uint8_t *p, size_t n, size_t max, const uint8_t **msg,
				  size_t *msg_len);

/* True when [p, p+n) is valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF). */
bool spb_utf8_valid(const uint8_t *p, size_t n);

#endif
