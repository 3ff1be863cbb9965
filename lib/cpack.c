#include "lib/cpack.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Node header: the low three bits are the kind, the flags say where the key and a string
 * value come from. */
enum {
	K_NULL = 0,
	K_FALSE = 1,
	K_TRUE = 2,
	K_INT = 3,    /* zigzag varint */
	K_DOUBLE = 4, /* 8 bytes, host order (the encoding never leaves the process) */
	K_STRING = 5, /* varint length + bytes, or a dictionary reference */
	K_ARRAY = 6,  /* varint count + children */
	K_OBJECT = 7, /* varint count + children, each with a key */
	F_KEY_DICT = 0x08,
	F_KEY_INLINE = 0x10,
	F_VAL_DICT = 0x20,
};

/* Words that recur in cached Kubernetes objects. Only the order of this table gives meaning to
 * the packed bytes, and packed bytes never leave the process, so it may change freely. */
/* clang-format off */
static const char *const dict[] = {
    /* object meta */
    "metadata", "name", "namespace", "uid", "resourceVersion", "deletionTimestamp", "labels",
    "annotations", "generation", "creationTimestamp", "ownerReferences", "apiVersion", "kind",
    "controller", "blockOwnerDeletion", "finalizers", "deletionGracePeriodSeconds",
    /* pods */
    "spec", "status", "containers", "image", "nodeName", "phase", "podIP", "hostIP", "conditions",
    "type", "containerStatuses", "state", "ready", "restartCount", "waiting", "running",
    "terminated", "reason", "message", "started", "startedAt", "finishedAt", "exitCode",
    "containerID", "imageID", "lastState", "lastProbeTime", "lastTransitionTime", "podIPs", "ip",
    "qosClass", "startTime", "initContainerStatuses",
    /* GameServers */
    "opsState", "deletionPriority", "updatePriority", "networkDisabled", "currentState",
    "desiredState", "podStatus", "serviceQualitiesConditions", "result",
    "lastActionTransitionTime", "networkStatus",
    /* GameServerSets */
    "replicas", "gameServerTemplate", "template", "serviceQualities", "serviceQualityAction",
    "permanent", "containerName", "exec", "command", "args", "httpGet", "tcpSocket", "port",
    "path", "scheme", "host", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
    "successThreshold", "failureThreshold", "scaleStrategy", "scaleDownStrategyType",
    "updateStrategy", "rollingUpdate", "podUpdatePolicy", "maxUnavailable", "partition",
    "reserveGameServerIds", "selector", "matchLabels", "serviceName", "env", "value",
    "valueFrom", "fieldRef", "fieldPath", "resources", "limits", "requests", "cpu", "memory",
    "ports", "containerPort", "protocol", "volumeMounts", "mountPath", "volumes", "configMap",
    "observedGeneration", "currentReplicas", "readyReplicas", "availableReplicas",
    "updatedReplicas", "updatedReadyReplicas", "maintainingReplicas",
    "waitToBeDeletedReplicas", "labelSelector", "imagePullPolicy", "restartPolicy",
    "volumeClaimTemplates", "network", "networkType", "networkConf",
    /* okg's labels and annotations */
    "game.kruise.io/owner-gss", "game.kruise.io/gs-opsState", "game.kruise.io/gs-delete-priority",
    "game.kruise.io/gs-update-priority", "game.kruise.io/network-disabled",
    "game.kruise.io/gs-state", "okg.game.kruise.io/ordinal", "okg.game.kruise.io/template-hash",
    "okg.game.kruise.io/template-hash-noimage", "okg.game.kruise.io/probes",
    "okg.game.kruise.io/probe-token", "okg.game.kruise.io/probe-injected",
    "kubectl.kubernetes.io/last-applied-configuration", "app",
    /* values */
    "True", "False", "Unknown", "Ready", "NotReady", "Running", "Pending", "Succeeded", "Failed",
    "None", "Allocated", "WaitToBeDeleted", "Maintaining", "Kill", "Creating", "Deleting",
    "Updating", "Crash", "PodScheduled", "Initialized", "ContainersReady", "0", "1", "true",
    "false", "game.kruise.io/v1alpha1", "GameServer", "GameServerSet", "v1", "Pod", "default",
    "TCP", "UDP", "RollingUpdate", "OnDelete", "ReCreate", "InPlaceIfPossible", "General",
    "ReserveIds", "Always", "IfNotPresent", "okg-probe", "CrashLoopBackOff",
    "ContainerCreating", "Completed", "Error", "BestEffort", "Burstable", "Guaranteed", "HTTP",
    "",
};
/* clang-format on */

#define DICT_N	  (sizeof(dict) / sizeof(dict[0]))
#define HASH_SIZE 512 /* power of two, over twice DICT_N */

_Static_assert(DICT_N <= 256, "dictionary references are one byte");
_Static_assert(HASH_SIZE >= 2 * DICT_N, "dictionary hash too small");

static short dict_hash[HASH_SIZE]; /* index + 1, 0 = empty */
static pthread_once_t dict_once = PTHREAD_ONCE_INIT;

static unsigned hash_str(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void dict_init(void)
{
	for (size_t i = 0; i < DICT_N; i++) {
		unsigned h = hash_str(dict[i]) & (HASH_SIZE - 1);

		while (dict_hash[h])
			h = (h + 1) & (HASH_SIZE - 1);
		dict_hash[h] = (short)(i + 1);
	}
}

/* Dictionary index of s, or -1. */
static int dict_find(const char *s)
{
	unsigned h = hash_str(s) & (HASH_SIZE - 1);

	while (dict_hash[h]) {
		int i = dict_hash[h] - 1;

		if (strcmp(dict[i], s) == 0)
			return i;
		h = (h + 1) & (HASH_SIZE - 1);
	}
	return -1;
}

/* --- encoding ----------------------------------------------------------------------------- */

struct wbuf {
	unsigned char *p;
	size_t len, cap;
	int err;
};

static void w_reserve(struct wbuf *w, size_t n)
{
	size_t nc;
	unsigned char *p;

	if (w->err || w->len + n <= w->cap)
		return;
	nc = w->cap ? w->cap : 256;
	while (nc < w->len + n) {
		if (nc > SIZE_MAX / 2) {
			w->err = -E2BIG;
			return;
		}
		nc *= 2;
	}
	p = realloc(w->p, nc);
	if (!p) {
		w->err = -ENOMEM;
		return;
	}
	w->p = p;
	w->cap = nc;
}

static void w_byte(struct wbuf *w, unsigned char b)
{
	w_reserve(w, 1);
	if (!w->err)
		w->p[w->len++] = b;
}

static void w_varint(struct wbuf *w, uint64_t v)
{
	w_reserve(w, 10);
	if (w->err)
		return;
	while (v >= 0x80) {
		w->p[w->len++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	w->p[w->len++] = (unsigned char)v;
}

static void w_bytes(struct wbuf *w, const void *data, size_t n)
{
	w_reserve(w, n);
	if (!w->err && n) {
		memcpy(w->p + w->len, data, n);
		w->len += n;
	}
}

static void w_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);

	if (n > UINT32_MAX) {
		w->err = -E2BIG;
		return;
	}
	w_varint(w, n);
	w_bytes(w, s, n);
}

/* An integral number that survives int64 and back, within the exact range of a double. */
static bool as_int(double d, int64_t *out)
{
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || d != floor(d))
		return false;
	if (d == 0 && signbit(d))
		return false; /* -0 keeps its sign as a double */
	*out = (int64_t)d;
	return true;
}

static void encode_node(struct wbuf *w, const cJSON *n, bool keyed, int depth)
{
	unsigned char hdr;
	int key_idx = -1, val_idx = -1;
	int64_t iv = 0;
	const cJSON *c;
	size_t count = 0;

	if (depth > CPACK_MAX_DEPTH) {
		w->err = -E2BIG;
		return;
	}
	switch (n->type & 0xFF) {
	case cJSON_NULL:
		hdr = K_NULL;
		break;
	case cJSON_False:
		hdr = K_FALSE;
		break;
	case cJSON_True:
		hdr = K_TRUE;
		break;
	case cJSON_Number:
		if (!isfinite(n->valuedouble)) {
			w->err = -EINVAL; /* JSON has no NaN or infinity */
			return;
		}
		hdr = as_int(n->valuedouble, &iv) ? K_INT : K_DOUBLE;
		break;
	case cJSON_String:
	case cJSON_Raw:
		if (!n->valuestring) {
			w->err = -EINVAL;
			return;
		}
		hdr = K_STRING;
		val_idx = dict_find(n->valuestring);
		if (val_idx >= 0)
			hdr |= F_VAL_DICT;
		break;
	case cJSON_Array:
		hdr = K_ARRAY;
		break;
	case cJSON_Object:
		hdr = K_OBJECT;
		break;
	default:
		w->err = -EINVAL;
		return;
	}
	if (keyed) {
		key_idx = n->string ? dict_find(n->string) : -1;
		hdr |= key_idx >= 0 ? F_KEY_DICT : F_KEY_INLINE;
	}
	w_byte(w, hdr);
	if (key_idx >= 0)
		w_byte(w, (unsigned char)key_idx);
	else if (keyed)
		w_str(w, n->string ? n->string : "");
	switch (hdr & 7) {
	case K_INT:
		/* zigzag: small magnitudes of either sign take few bytes */
		w_varint(w, iv < 0 ? ((uint64_t)(-(iv + 1)) << 1) | 1 : (uint64_t)iv << 1);
		break;
	case K_DOUBLE:
		w_bytes(w, &n->valuedouble, sizeof(double));
		break;
	case K_STRING:
		if (val_idx >= 0)
			w_byte(w, (unsigned char)val_idx);
		else
			w_str(w, n->valuestring);
		break;
	case K_ARRAY:
	case K_OBJECT:
		for (c = n->child; c; c = c->next)
			count++;
		w_varint(w, count);
		for (c = n->child; c && !w->err; c = c->next)
			encode_node(w, c, (hdr & 7) == K_OBJECT, depth + 1);
		break;
	default:
		break;
	}
}

int cpack_encode(const cJSON *tree, unsigned char **out, size_t *outlen)
{
	struct wbuf w = {0};

	*out = NULL;
	*outlen = 0;
	if (!tree)
		return -EINVAL;
	pthread_once(&dict_once, dict_init);
	encode_node(&w, tree, false, 0);
	if (w.err) {
		free(w.p);
		return w.err;
	}
	/* Give back the doubling slack: the bytes live as long as the cache entry. */
	if (w.len < w.cap) {
		unsigned char *p = realloc(w.p, w.len ? w.len : 1);

		if (p)
			w.p = p;
	}
	*out = w.p;
	*outlen = w.len;
	return 0;
}

/* --- decoding ----------------------------------------------------------------------------- */

struct rbuf {
	const unsigned char *p;
	size_t len, pos;
};

static int r_byte(struct rbuf *r, unsigned char *out)
{
	if (r->pos >= r->len)
		return -EINVAL;
	*out = r->p[r->pos++];
	return 0;
}

static int r_varint(struct rbuf *r, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		unsigned char b;

		if (r_byte(r, &b) < 0)
			return -EINVAL;
		v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EINVAL;
}

/* A string: *s points into the input (not terminated), *n its length. */
static int r_str(struct rbuf *r, const char **s, size_t *n)
{
	uint64_t len;

	if (r_varint(r, &len) < 0 || len > r->len - r->pos)
		return -EINVAL;
	*s = (const char *)r->p + r->pos;
	*n = (size_t)len;
	r->pos += (size_t)len;
	return 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int decode_node(struct rbuf *r, int depth, cJSON **out);

static int decode_children(struct rbuf *r, cJSON *parent, bool keyed, int depth)
{
	uint64_t count;
	cJSON *prev = NULL;

	/* Every child takes at least one byte, so a count past the input is malformed. */
	if (r_varint(r, &count) < 0 || count > r->len - r->pos)
		return -EINVAL;
	for (uint64_t i = 0; i < count; i++) {
		unsigned char hdr;
		cJSON *child = NULL;
		int e;

		if (r->pos >= r->len)
			return -EINVAL;
		hdr = r->p[r->pos];
		/* Members of an object have exactly one key; array elements none. */
		if (keyed != !!(hdr & (F_KEY_DICT | F_KEY_INLINE)) ||
		    ((hdr & F_KEY_DICT) && (hdr & F_KEY_INLINE)))
			return -EINVAL;
		e = decode_node(r, depth + 1, &child);
		if (e < 0)
			return e;
		if (prev) {
			prev->next = child;
			child->prev = prev;
		} else {
			parent->child = child;
		}
		parent->child->prev = child;
		prev = child;
	}
	return 0;
}

static int decode_node(struct rbuf *r, int depth, cJSON **out)
{
	unsigned char hdr, b;
	cJSON *n = NULL;
	uint64_t v;
	const char *s;
	size_t len;
	int e = -EINVAL;

	*out = NULL;
	if (depth > CPACK_MAX_DEPTH)
		return -E2BIG;
	if (r_byte(r, &hdr) < 0 || (hdr & 0xC0) || ((hdr & F_VAL_DICT) && (hdr & 7) != K_STRING))
		return -EINVAL;
	n = cJSON_CreateNull();
	if (!n)
		return -ENOMEM;
	if (hdr & F_KEY_DICT) {
		if (r_byte(r, &b) < 0 || b >= DICT_N)
			goto out;
		n->string = (char *)dict[b];
		n->type |= cJSON_StringIsConst;
	} else if (hdr & F_KEY_INLINE) {
		if (r_str(r, &s, &len) < 0)
			goto out;
		n->string = dup_n(s, len);
		if (!n->string) {
			e = -ENOMEM;
			goto out;
		}
	}
	switch (hdr & 7) {
	case K_NULL:
		n->type = (n->type & cJSON_StringIsConst) | cJSON_NULL;
		break;
	case K_FALSE:
		n->type = (n->type & cJSON_StringIsConst) | cJSON_False;
		break;
	case K_TRUE:
		n->type = (n->type & cJSON_StringIsConst) | cJSON_True;
		n->valueint = 1;
		break;
	case K_INT: {
		int64_t iv;

		if (r_varint(r, &v) < 0)
			goto out;
		iv = (v & 1) ? -(int64_t)(v >> 1) - 1 : (int64_t)(v >> 1);
		n->type = (n->type & cJSON_StringIsConst) | cJSON_Number;
		n->valuedouble = (double)iv;
		n->valueint = iv >= INT32_MAX ? INT32_MAX : iv <= INT32_MIN ? INT32_MIN : (int)iv;
		break;
	}
	case K_DOUBLE: {
		double d;

		if (r->len - r->pos < sizeof(double))
			goto out;
		memcpy(&d, r->p + r->pos, sizeof(double));
		r->pos += sizeof(double);
		if (!isfinite(d))
			goto out;
		n->type = (n->type & cJSON_StringIsConst) | cJSON_Number;
		n->valuedouble = d;
		n->valueint = d >= INT32_MAX ? INT32_MAX : d <= INT32_MIN ? INT32_MIN : (int)d;
		break;
	}
	case K_STRING:
		n->type = (n->type & cJSON_StringIsConst) | cJSON_String;
		if (hdr & F_VAL_DICT) {
			if (r_byte(r, &b) < 0 || b >= DICT_N)
				goto out;
			n->valuestring = dup_n(dict[b], strlen(dict[b]));
		} else {
			if (r_str(r, &s, &len) < 0)
				goto out;
			n->valuestring = dup_n(s, len);
		}
		if (!n->valuestring) {
			e = -ENOMEM;
			goto out;
		}
		break;
	case K_ARRAY:
	case K_OBJECT:
		n->type = (n->type & cJSON_StringIsConst) |
			  ((hdr & 7) == K_ARRAY ? cJSON_Array : cJSON_Object);
		e = decode_children(r, n, (hdr & 7) == K_OBJECT, depth);
		if (e < 0)
			goto out;
		break;
	}
	*out = n;
	return 0;
out:
	cJSON_Delete(n);
	return e;
}

int cpack_decode(const unsigned char *data, size_t len, cJSON **out)
{
	struct rbuf r = {data, len, 0};
	unsigned char hdr;
	int e;

	*out = NULL;
	if (!data || !len)
		return -EINVAL;
	hdr = data[0];
	if (hdr & (F_KEY_DICT | F_KEY_INLINE))
		return -EINVAL; /* the root has no key */
	e = decode_node(&r, 0, out);
	if (e == 0 && r.pos != r.len) {
		cJSON_Delete(*out);
		*out = NULL;
		e = -EINVAL;
	}
	return e;
}
