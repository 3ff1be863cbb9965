/* pace: an open-loop HTTPS load generator for bench/webhook.sh. wrk keeps a fixed number of
 * requests in flight and so measures latency only at saturation; this one sends at a fixed rate
 * and measures each request from the moment it was due, so a stall counts against the server
 * (no coordinated omission). libcurl multi, keep-alive connections.
 *
 *   pace URL BODY_FILE RATE SECONDS CONNECTIONS CA_FILE
 *
 * The connections are opened before the clock starts (CONNECTIONS requests at once, each on a
 * connection of its own), so that the run measures keep-alive requests, as an API server sends
 * them: a TLS handshake in the middle of the run costs the generator milliseconds of CPU and
 * shows up in its percentiles (new connections are measured by wrk in bench/webhook.sh).
 * Between sends it sleeps in select() on libcurl's sockets until the next request is due (to the
 * microsecond), so that it does not spin: curl_multi_poll() counts in whole milliseconds, and at
 * 5,000 requests/s one is due every 200 us.
 *
 * Prints one line: rate=... n=... errors=... late=... p50_us=... p90_us=... p99_us=...
 * p999_us=... max_us=... new_conns=... (connections opened during the timed run)
 * gen_cpu_pct=... (the generator's own CPU time over the run) */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

#define MAX_HANDLES 512

struct slot {
	CURL *h;
	double due; /* seconds since start when the request was due */
	long code;
};

static double now_s(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static size_t drop(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

/* Waits up to us microseconds for one of libcurl's sockets, or at most as long as libcurl asks. */
static void wait_us(CURLM *m, long us)
{
	fd_set r, w, e;
	struct timeval tv;
	long curl_ms = -1;
	int maxfd = -1;

	if (curl_multi_timeout(m, &curl_ms) == CURLM_OK && curl_ms >= 0 && curl_ms * 1000 < us)
		us = curl_ms * 1000;
	if (us <= 0)
		return;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	if (curl_multi_fdset(m, &r, &w, &e, &maxfd) != CURLM_OK)
		return;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	(void)select(maxfd + 1, maxfd >= 0 ? &r : NULL, maxfd >= 0 ? &w : NULL,
		     maxfd >= 0 ? &e : NULL, &tv);
}

static double cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Opens conns connections: conns requests at once (HTTP/1.1: one connection each), left in the
 * multi handle's connection cache. Returns how many failed. */
static long warm_up(CURLM *m, struct slot *slots, long conns)
{
	long failed = 0, left = conns;

	for (long i = 0; i < conns; i++)
		curl_multi_add_handle(m, slots[i].h);
	while (left > 0) {
		CURLMsg *msg;
		int running, n;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &n)) != NULL) {
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code != 200)
				failed++;
			curl_multi_remove_handle(m, msg->easy_handle);
			left--;
		}
		if (left > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	return failed;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *read_file(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)*len + 1);
		if (data && fread(data, 1, (size_t)*len, f) != (size_t)*len) {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	struct slot slots[MAX_HANDLES];
	int free_list[MAX_HANDLES], n_free = 0;
	struct curl_slist *hdr = NULL;
	struct timespec t0;
	double rate, secs, *lat, cpu0;
	long conns, body_len = 0, total, sent = 0, done = 0, errors = 0, late = 0, new_conns = 0;
	char *body;
	CURLM *m;
	int running = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: %s URL BODY_FILE RATE SECONDS CONNECTIONS CA_FILE\n",
			argv[0]);
		return 2;
	}
	body = read_file(argv[2], &body_len);
	rate = strtod(argv[3], NULL);
	secs = strtod(argv[4], NULL);
	conns = strtol(argv[5], NULL, 10);
	if (!body || rate <= 0 || secs <= 0 || conns <= 0 || conns > MAX_HANDLES) {
		fprintf(stderr, "pace: bad arguments\n");
		return 2;
	}
	total = (long)(rate * secs);
	lat = calloc((size_t)total + 1, sizeof(*lat));
	if (!lat || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, conns);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, conns);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, conns);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	for (int i = 0; i < MAX_HANDLES; i++) {
		CURL *h = curl_easy_init();

		slots[i].h = h;
		curl_easy_setopt(h, CURLOPT_URL, argv[1]);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body_len);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_CAINFO, argv[6]);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop);
		curl_easy_setopt(h, CURLOPT_PRIVATE, &slots[i]);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
		free_list[n_free++] = i;
	}
	if (warm_up(m, slots, conns)) {
		fprintf(stderr, "pace: could not open %ld connections\n", conns);
		return 1;
	}
	cpu0 = cpu_s();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < total) {
		double t = now_s(&t0);
		CURLMsg *msg;
		int left;

		/* send everything that is due */
		while (sent < total && (double)sent / rate <= t) {
			struct slot *s;

			if (!n_free) {
				late++; /* all handles busy: the request waits, its clock runs */
				break;
			}
			s = &slots[free_list[--n_free]];
			s->due = (double)sent / rate;
			curl_multi_add_handle(m, s->h);
			sent++;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct slot *s = NULL;
			long nc = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &nc);
			new_conns += nc;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &s->code);
			if (msg->data.result != CURLE_OK || s->code != 200)
				errors++;
			lat[done++] = now_s(&t0) - s->due;
			curl_multi_remove_handle(m, msg->easy_handle);
			free_list[n_free++] = (int)(s - slots);
		}
		/* the next request is due at sent / rate; all handles busy: wait for an answer */
		if (sent < total && n_free)
			wait_us(m, (long)(((double)sent / rate - now_s(&t0)) * 1e6));
		else
			wait_us(m, 50000);
	}
	{
		double elapsed = now_s(&t0);

		qsort(lat, (size_t)done, sizeof(*lat), cmp_double);
		printf("rate=%.1f n=%ld errors=%ld late=%ld p50_us=%.0f p90_us=%.0f p99_us=%.0f "
		       "p999_us=%.0f max_us=%.0f new_conns=%ld gen_cpu_pct=%.0f\n",
		       (double)done / elapsed, done, errors, late, lat[done / 2] * 1e6,
		       lat[done * 9 / 10] * 1e6, lat[done * 99 / 100] * 1e6,
		       lat[done * 999 / 1000] * 1e6, lat[done - 1] * 1e6, new_conns,
		       100 * (cpu_s() - cpu0) / elapsed);
	}
	for (int i = 0; i < MAX_HANDLES; i++)
		curl_easy_cleanup(slots[i].h);
	curl_multi_cleanup(m);
	curl_slist_free_all(hdr);
	curl_global_cleanup();
	free(lat);
	free(body);
	return errors ? 1 : 0;
}
