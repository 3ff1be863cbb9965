/* scalerpb: protobuf wire encode/decode for KEDA's externalscaler messages; see scalerpb.h. */
#include "controller/scalerpb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Wire types. */
#define WT_VARINT  0
#define WT_FIXED64 1
#define WT_LEN	   2
#define WT_FIXED32 5

/* ---- reading ------------------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, pos;
};

/* One field as read: its number and wire type, and its payload. */
struct field {
	uint32_t num;
	unsigned wt;
	uint64_t v;	     /* WT_VARINT, WT_FIXED64, WT_FIXED32 */
	const uint8_t *data; /* WT_LEN */
	size_t len;	     /* WT_LEN */
};

static int rd_varint(struct rd *r, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;

		if (r->pos >= r->n)
			return -EBADMSG;
		b = r->p[r->pos++];
		/* the 10th byte carries bit 63 only */
		if (i == 9 && b > 1)
			return -EBADMSG;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EBADMSG;
}

static int rd_fixed(struct rd *r, unsigned bytes, uint64_t *out)
{
	uint64_t v = 0;

	if (r->n - r->pos < bytes)
		return -EBADMSG;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->pos + i] << (8 * i);
	r->pos += bytes;
	*out = v;
	return 0;
}

/* Reads the next field. Returns 1 with *f filled, 0 at the end of the input, or -EBADMSG. */
static int rd_field(struct rd *r, struct field *f)
{
	uint64_t tag, len;
	int e;

	if (r->pos >= r->n)
		return 0;
	memset(f, 0, sizeof(*f));
	e = rd_varint(r, &tag);
	if (e < 0)
		return e;
	if (tag > UINT32_MAX || (tag >> 3) == 0)
		return -EBADMSG;
	f->num = (uint32_t)(tag >> 3);
	f->wt = (unsigned)(tag & 7);
	switch (f->wt) {
	case WT_VARINT:
		return rd_varint(r, &f->v) < 0 ? -EBADMSG : 1;
	case WT_FIXED64:
		return rd_fixed(r, 8, &f->v) < 0 ? -EBADMSG : 1;
	case WT_FIXED32:
		return rd_fixed(r, 4, &f->v) < 0 ? -EBADMSG : 1;
	case WT_LEN:
		e = rd_varint(r, &len);
		if (e < 0 || len > r->n - r->pos)
			return -EBADMSG;
		f->data = r->p + r->pos;
		f->len = (size_t)len;
		r->pos += (size_t)len;
		return 1;
	default: /* 3, 4: groups (not in proto3); 6, 7: undefined */
		return -EBADMSG;
	}
}

bool spb_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		uint32_t cp;
		size_t need;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false; /* continuation byte, overlong lead (c0, c1) or past f4 */
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* A length-delimited field as a new NUL-terminated string, checked. */
static int dup_str(const struct field *f, char **out)
{
	char *s;

	if (f->len > SPB_STR_MAX)
		return -E2BIG;
	if (memchr(f->data, '\0', f->len) || !spb_utf8_valid(f->data, f->len))
		return -EBADMSG;
	s = malloc(f->len + 1);
	if (!s)
		return -ENOMEM;
	if (f->len)
		memcpy(s, f->data, f->len);
	s[f->len] = '\0';
	*out = s;
	return 0;
}

/* Replaces *slot with the field's string (proto3: the last occurrence wins). */
static int set_str(const struct field *f, char **slot)
{
	char *s = NULL;
	int e = dup_str(f, &s);

	if (e < 0)
		return e;
	free(*slot);
	*slot = s;
	return 0;
}

static int fill_empty(char **slot)
{
	if (*slot)
		return 0;
	*slot = calloc(1, 1);
	return *slot ? 0 : -ENOMEM;
}

/* One map<string,string> entry message merged into r's metadata. */
static int merge_meta_entry(const uint8_t *p, size_t n, struct spb_ref *r)
{
	struct rd rd = {p, n, 0};
	struct field f;
	char *key = NULL, *value = NULL;
	int e;

	while ((e = rd_field(&rd, &f)) > 0) {
		if (f.wt != WT_LEN || (f.num != 1 && f.num != 2))
			continue;
		e = set_str(&f, f.num == 1 ? &key : &value);
		if (e < 0)
			goto out;
	}
	if (e < 0)
		goto out;
	e = fill_empty(&key);
	if (e == 0)
		e = fill_empty(&value);
	if (e < 0)
		goto out;
	for (size_t i = 0; i < r->n_meta; i++) {
		if (!strcmp(r->meta[i].key, key)) {
			free(r->meta[i].value);
			r->meta[i].value = value; /* the last entry for a key wins */
			value = NULL;
			e = 0;
			goto out;
		}
	}
	if (r->n_meta >= SPB_META_MAX) {
		e = -E2BIG;
		goto out;
	}
	{
		struct spb_kv *m = realloc(r->meta, (r->n_meta + 1) * sizeof(*m));

		if (!m) {
			e = -ENOMEM;
			goto out;
		}
		r->meta = m;
	}
	r->meta[r->n_meta].key = key;
	r->meta[r->n_meta].value = value;
	r->n_meta++;
	key = value = NULL;
	e = 0;
out:
	free(key);
	free(value);
	return e;
}

/* Merges a ScaledObjectRef message into r (which may already hold fields). */
static int merge_ref(const uint8_t *p, size_t n, struct spb_ref *r)
{
	struct rd rd = {p, n, 0};
	struct field f;
	int e;

	while ((e = rd_field(&rd, &f)) > 0) {
		if (f.wt != WT_LEN)
			continue;
		switch (f.num) {
		case 1:
			e = set_str(&f, &r->name);
			break;
		case 2:
			e = set_str(&f, &r->ns);
			break;
		case 3:
			e = merge_meta_entry(f.data, f.len, r);
			break;
		default:
			break;
		}
		if (e < 0)
			return e;
	}
	return e;
}

static int ref_finish(struct spb_ref *r)
{
	int e = fill_empty(&r->name);

	return e ? e : fill_empty(&r->ns);
}

int spb_ref_decode(const uint8_t *p, size_t n, struct spb_ref *out)
{
	int e;

	memset(out, 0, sizeof(*out));
	e = merge_ref(p, n, out);
	if (e == 0)
		e = ref_finish(out);
	if (e < 0)
		spb_ref_free(out);
	return e;
}

int spb_metrics_req_decode(const uint8_t *p, size_t n, struct spb_metrics_req *out)
{
	struct rd rd = {p, n, 0};
	struct field f;
	int e;

	memset(out, 0, sizeof(*out));
	while ((e = rd_field(&rd, &f)) > 0) {
		if (f.wt != WT_LEN)
			continue;
		if (f.num == 1)
			e = merge_ref(f.data, f.len, &out->ref);
		else if (f.num == 2)
			e = set_str(&f, &out->metric_name);
		if (e < 0)
			break;
	}
	if (e == 0)
		e = ref_finish(&out->ref);
	if (e == 0)
		e = fill_empty(&out->metric_name);
	if (e < 0)
		spb_metrics_req_free(out);
	return e;
}

int spb_is_active_decode(const uint8_t *p, size_t n, bool *out)
{
	struct rd rd = {p, n, 0};
	struct field f;
	int e;

	*out = false;
	while ((e = rd_field(&rd, &f)) > 0) {
		if (f.num == 1 && f.wt == WT_VARINT)
			*out = f.v != 0;
	}
	if (e < 0)
		*out = false;
	return e;
}

static int merge_metric(const uint8_t *p, size_t n, struct spb_metric *m)
{
	struct rd rd = {p, n, 0};
	struct field f;
	int e;

	while ((e = rd_field(&rd, &f)) > 0) {
		if (f.num == 1 && f.wt == WT_LEN) {
			e = set_str(&f, &m->name);
			if (e < 0)
				return e;
		} else if (f.num == 2 && f.wt == WT_VARINT) {
			m->i = (int64_t)f.v; /* int64: two's complement in 64 bits */
		} else if (f.num == 3 && f.wt == WT_FIXED64) {
			memcpy(&m->f, &f.v, sizeof(m->f));
		}
	}
	return e;
}

int spb_metric_list_decode(const uint8_t *p, size_t n, struct spb_metric_list *out)
{
	struct rd rd = {p, n, 0};
	struct field f;
	int e;

	memset(out, 0, sizeof(*out));
	while ((e = rd_field(&rd, &f)) > 0) {
		struct spb_metric *v;

		if (f.num != 1 || f.wt != WT_LEN)
			continue;
		if (out->n >= SPB_LIST_MAX) {
			e = -E2BIG;
			break;
		}
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v) {
			e = -ENOMEM;
			break;
		}
		out->v = v;
		memset(&v[out->n], 0, sizeof(v[0]));
		out->n++;
		e = merge_metric(f.data, f.len, &v[out->n - 1]);
		if (e == 0)
			e = fill_empty(&v[out->n - 1].name);
		if (e < 0)
			break;
	}
	if (e < 0)
		spb_metric_list_free(out);
	return e;
}

void spb_ref_free(struct spb_ref *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->ns);
	for (size_t i = 0; i < r->n_meta; i++) {
		free(r->meta[i].key);
		free(r->meta[i].value);
	}
	free(r->meta);
	memset(r, 0, sizeof(*r));
}

void spb_metrics_req_free(struct spb_metrics_req *r)
{
	if (!r)
		return;
	spb_ref_free(&r->ref);
	free(r->metric_name);
	r->metric_name = NULL;
}

void spb_metric_list_free(struct spb_metric_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *spb_ref_meta(const struct spb_ref *r, const char *key)
{
	if (!r || !key)
		return NULL;
	for (size_t i = 0; i < r->n_meta; i++) {
		if (r->meta[i].key && !strcmp(r->meta[i].key, key))
			return r->meta[i].value;
	}
	return NULL;
}

/* ---- writing ------------------------------------------------------------------------------- */

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static int put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	return buf_append(b, tmp, n);
}

static int put_tag(struct buf *b, uint32_t num, unsigned wt)
{
	return put_varint(b, ((uint64_t)num << 3) | wt);
}

/* Size of a length-delimited field holding len bytes (tags here are one byte: fields < 16). */
static size_t len_field_size(size_t len)
{
	return 1 + varint_len(len) + len;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

static int put_len_field(struct buf *b, uint32_t num, const void *p, size_t len)
{
	int e = put_tag(b, num, WT_LEN);

	if (e == 0)
		e = put_varint(b, len);
	if (e == 0 && len)
		e = buf_append(b, p, len);
	return e;
}

/* A proto3 string field: omitted when empty. */
static int put_str(struct buf *b, uint32_t num, const char *s)
{
	size_t len = slen(s);

	return len ? put_len_field(b, num, s, len) : 0;
}

static size_t str_size(const char *s)
{
	size_t len = slen(s);

	return len ? len_field_size(len) : 0;
}

static size_t kv_size(const struct spb_kv *kv)
{
	return len_field_size(slen(kv->key)) + len_field_size(slen(kv->value));
}

static size_t ref_size(const struct spb_ref *r)
{
	size_t n = str_size(r->name) + str_size(r->ns);

	for (size_t i = 0; i < r->n_meta; i++)
		n += len_field_size(kv_size(&r->meta[i]));
	return n;
}

static int put_ref_body(const struct spb_ref *r, struct buf *out)
{
	int e = put_str(out, 1, r->name);

	if (e == 0)
		e = put_str(out, 2, r->ns);
	for (size_t i = 0; e == 0 && i < r->n_meta; i++) {
		const struct spb_kv *kv = &r->meta[i];

		e = put_tag(out, 3, WT_LEN);
		if (e == 0)
			e = put_varint(out, kv_size(kv));
		/* a map entry always carries its key and value, even when empty */
		if (e == 0)
			e = put_len_field(out, 1, kv->key, slen(kv->key));
		if (e == 0)
			e = put_len_field(out, 2, kv->value, slen(kv->value));
	}
	return e;
}

int spb_ref_encode(const struct spb_ref *r, struct buf *out)
{
	return put_ref_body(r, out);
}

int spb_metrics_req_encode(const struct spb_metrics_req *r, struct buf *out)
{
	size_t rs = ref_size(&r->ref);
	int e = 0;

	/* an empty sub-message is still written: its presence is meaningful */
	e = put_tag(out, 1, WT_LEN);
	if (e == 0)
		e = put_varint(out, rs);
	if (e == 0)
		e = put_ref_body(&r->ref, out);
	if (e == 0)
		e = put_str(out, 2, r->metric_name);
	return e;
}

int spb_is_active_encode(bool result, struct buf *out)
{
	int e = 0;

	if (result) {
		e = put_tag(out, 1, WT_VARINT);
		if (e == 0)
			e = put_varint(out, 1);
	}
	if (e == 0 && !out->data)
		e = buf_append(out, "", 0); /* an empty message is valid; keep data non-NULL */
	return e;
}

static uint64_t double_bits(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

static size_t metric_size(const struct spb_metric *m)
{
	size_t n = str_size(m->name);

	if (m->i)
		n += 1 + varint_len((uint64_t)m->i);
	if (double_bits(m->f))
		n += 1 + 8;
	return n;
}

int spb_metric_list_encode(const struct spb_metric *v, size_t n, struct buf *out)
{
	int e = 0;

	for (size_t i = 0; e == 0 && i < n; i++) {
		const struct spb_metric *m = &v[i];
		uint64_t bits = double_bits(m->f);

		e = put_tag(out, 1, WT_LEN);
		if (e == 0)
			e = put_varint(out, metric_size(m));
		if (e == 0)
			e = put_str(out, 1, m->name);
		if (e == 0 && m->i) {
			e = put_tag(out, 2, WT_VARINT);
			if (e == 0)
				e = put_varint(out, (uint64_t)m->i);
		}
		if (e == 0 && bits) {
			uint8_t le[8];

			for (unsigned k = 0; k < 8; k++)
				le[k] = (uint8_t)(bits >> (8 * k));
			e = put_tag(out, 3, WT_FIXED64);
			if (e == 0)
				e = buf_append(out, le, sizeof(le));
		}
	}
	if (e == 0 && !out->data)
		e = buf_append(out, "", 0);
	return e;
}

/* ---- gRPC framing -------------------------------------------------------------------------- */

int spb_grpc_frame(const uint8_t *msg, size_t n, struct buf *out)
{
	uint8_t pre[SPB_GRPC_PREFIX];
	size_t old = out->len;
	int e;

	if (n > UINT32_MAX)
		return -E2BIG;
	pre[0] = 0;
	pre[1] = (uint8_t)(n >> 24);
	pre[2] = (uint8_t)(n >> 16);
	pre[3] = (uint8_t)(n >> 8);
	pre[4] = (uint8_t)n;
	e = buf_append(out, pre, sizeof(pre));
	if (e == 0 && n)
		e = buf_append(out, msg, n);
	if (e < 0)
		out->len = old; /* all or nothing */
	return e;
}

enum spb_unframe spb_grpc_unframe(const uint8_t *p, size_t n, size_t max, const uint8_t **msg,
				  size_t *msg_len)
{
	uint32_t len;

	*msg = NULL;
	*msg_len = 0;
	if (n == 0)
		return SPB_UNFRAME_EMPTY;
	if (n < SPB_GRPC_PREFIX)
		return SPB_UNFRAME_TRUNCATED;
	if (p[0] & ~1u)
		return SPB_UNFRAME_BAD_FLAGS;
	if (p[0] & 1u)
		return SPB_UNFRAME_COMPRESSED;
	len = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (len > max)
		return SPB_UNFRAME_TOO_BIG;
	if (n - SPB_GRPC_PREFIX < len)
		return SPB_UNFRAME_TRUNCATED;
	if (n - SPB_GRPC_PREFIX > len)
		return SPB_UNFRAME_MORE_THAN_ONE;
	*msg = p + SPB_GRPC_PREFIX;
	*msg_len = len;
	return SPB_UNFRAME_OK;
}
