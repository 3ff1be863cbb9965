#include "lib/backoff.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

void backoff_init(struct backoff *b, unsigned base_ms, unsigned cap_ms, uint64_t seed)
{
	struct timespec ts;

	if (seed == 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed =
		    (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16);
	}
	b->base_ms = base_ms ? base_ms : 1;
	b->cap_ms = cap_ms < b->base_ms ? b->base_ms : cap_ms;
	b->attempt = 0;
	b->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* xorshift64*: small, fast, good enough to spread retries. */
uint64_t backoff_rand(struct backoff *b, uint64_t n)
{
	uint64_t x = b->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	b->rng = x;
	return n ? (x * 0x2545F4914F6CDD1DULL) % n : 0;
}

unsigned backoff_next_ms(struct backoff *b)
{
	uint64_t d = b->base_ms;

	for (unsigned i = 0; i < b->attempt && d < b->cap_ms; i++)
		d *= 2;
	if (d > b->cap_ms)
		d = b->cap_ms;
	if (b->attempt < 64)
		b->attempt++;
	return (unsigned)(d / 2 + backoff_rand(b, d - d / 2 + 1));
}

unsigned backoff_next_hint_ms(struct backoff *b, unsigned retry_after_s)
{
	unsigned d = backoff_next_ms(b);
	unsigned hint;

	if (retry_after_s > 600)
		retry_after_s = 600;
	hint = retry_after_s * 1000u;
	return hint > d ? hint : d;
}

void backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}

void backoff_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
