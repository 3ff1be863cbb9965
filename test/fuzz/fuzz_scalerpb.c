/* libFuzzer target for controller/scalerpb.c: every decoder on the same bytes, then the gRPC
 * unframer. abort() when a decoder returns something undocumented, leaves output behind on
 * error, or when what decodes does not survive encode -> decode unchanged. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/scalerpb.h"

static void check_rc(int e)
{
	if (e != 0 && e != -EBADMSG && e != -E2BIG && e != -ENOMEM)
		abort();
}

static void same_str(const char *a, const char *b)
{
	if (!a || !b || strcmp(a, b) != 0)
		abort();
}

static void same_ref(const struct spb_ref *a, const struct spb_ref *b)
{
	same_str(a->name, b->name);
	same_str(a->ns, b->ns);
	if (a->n_meta != b->n_meta || a->n_meta > SPB_META_MAX)
		abort();
	for (size_t i = 0; i < a->n_meta; i++) {
		same_str(a->meta[i].key, b->meta[i].key);
		same_str(a->meta[i].value, b->meta[i].value);
		/* keys are distinct after decoding */
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(a->meta[i].key, a->meta[k].key))
				abort();
		}
	}
}

static void fuzz_ref(const uint8_t *data, size_t size)
{
	struct spb_ref r, r2;
	struct buf b;
	int e = spb_ref_decode(data, size, &r);

	check_rc(e);
	if (e < 0) {
		if (r.name || r.ns || r.meta || r.n_meta)
			abort();
		return;
	}
	buf_init(&b, 1 << 20);
	if (spb_ref_encode(&r, &b) != 0)
		abort();
	if (spb_ref_decode((const uint8_t *)b.data, b.len, &r2) != 0)
		abort();
	same_ref(&r, &r2);
	spb_ref_free(&r2);
	spb_ref_free(&r);
	buf_free(&b);
}

static void fuzz_req(const uint8_t *data, size_t size)
{
	struct spb_metrics_req q, q2;
	struct buf b;
	int e = spb_metrics_req_decode(data, size, &q);

	check_rc(e);
	if (e < 0) {
		if (q.ref.name || q.ref.meta || q.metric_name)
			abort();
		return;
	}
	buf_init(&b, 1 << 20);
	if (spb_metrics_req_encode(&q, &b) != 0)
		abort();
	if (spb_metrics_req_decode((const uint8_t *)b.data, b.len, &q2) != 0)
		abort();
	same_ref(&q.ref, &q2.ref);
	same_str(q.metric_name, q2.metric_name);
	spb_metrics_req_free(&q2);
	spb_metrics_req_free(&q);
	buf_free(&b);
}

static void fuzz_list(const uint8_t *data, size_t size)
{
	struct spb_metric_list l, l2;
	struct buf b;
	int e = spb_metric_list_decode(data, size, &l);

	check_rc(e);
	if (e < 0) {
		if (l.v || l.n)
			abort();
		return;
	}
	if (l.n > SPB_LIST_MAX)
		abort();
	buf_init(&b, 1 << 20);
	if (spb_metric_list_encode(l.v, l.n, &b) != 0)
		abort();
	if (spb_metric_list_decode((const uint8_t *)b.data, b.len, &l2) != 0 || l2.n != l.n)
		abort();
	for (size_t i = 0; i < l.n; i++) {
		same_str(l.v[i].name, l2.v[i].name);
		if (l.v[i].i != l2.v[i].i || memcmp(&l.v[i].f, &l2.v[i].f, sizeof(double)) != 0)
			abort();
	}
	spb_metric_list_free(&l2);
	spb_metric_list_free(&l);
	buf_free(&b);
}

static void fuzz_is_active(const uint8_t *data, size_t size)
{
	bool a = true, a2;
	struct buf b;
	int e = spb_is_active_decode(data, size, &a);

	if (e != 0 && e != -EBADMSG)
		abort();
	if (e < 0) {
		if (a)
			abort();
		return;
	}
	buf_init(&b, 64);
	if (spb_is_active_encode(a, &b) != 0 ||
	    spb_is_active_decode((const uint8_t *)b.data, b.len, &a2) != 0 || a2 != a)
		abort();
	buf_free(&b);
}

static void fuzz_unframe(const uint8_t *data, size_t size)
{
	const uint8_t *m;
	size_t n;
	enum spb_unframe u = spb_grpc_unframe(data, size, 4096, &m, &n);

	if (u == SPB_UNFRAME_OK) {
		struct buf b;

		if (!m || m != data + SPB_GRPC_PREFIX || n != size - SPB_GRPC_PREFIX || n > 4096)
			abort();
		buf_init(&b, 8192);
		/* framing the message again gives the same bytes */
		if (spb_grpc_frame(m, n, &b) != 0 || b.len != size || memcmp(b.data, data, size))
			abort();
		buf_free(&b);
	} else if (m || n) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ref(data, size);
	fuzz_req(data, size);
	fuzz_list(data, size);
	fuzz_is_active(data, size);
	fuzz_unframe(data, size);
	(void)spb_utf8_valid(data, size);
	return 0;
}
