/* backoff: exponential delays with jitter, pure and seedable so tests are exact. */
#ifndef OKG_BACKOFF_H
#define OKG_BACKOFF_H

#include <stdint.h>

struct backoff {
	unsigned base_ms;
	unsigned cap_ms;
	unsigned attempt;
	uint64_t rng;
};

/* seed 0 picks one from the clock and pid. */
void backoff_init(struct backoff *b, unsigned base_ms, unsigned cap_ms, uint64_t seed);

/* The next delay: d = min(cap, base * 2^attempt), returned as a uniform value in [d/2, d]
 * (half jitter: spreads clients out without ever retrying at once). */
unsigned backoff_next_ms(struct backoff *b);

/* As backoff_next_ms(), but never less than the server's Retry-After hint (seconds; 0 = none),
 * itself capped at 10 minutes. */
unsigned backoff_next_hint_ms(struct backoff *b, unsigned retry_after_s);

void backoff_reset(struct backoff *b);

/* Sleeps ms milliseconds, resuming after signals. */
void backoff_sleep_ms(unsigned ms);

/* A uniform random value in [0, n) from b's generator (n > 0). */
uint64_t backoff_rand(struct backoff *b, uint64_t n);

#endif
