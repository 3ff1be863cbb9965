/* agent: the helper's loop. One thread per quality runs its probe on its own schedule
 * (initialDelaySeconds after start, then every periodSeconds; a run that overruns skips the
 * ticks it missed, so a quality never has two probes at once), and feeds the threshold state
 * machine. A reporter thread sends the full state of every quality when some quality's
 * (state, result, opsState) changed, and a heartbeat every heartbeat_s; failures are retried
 * with backoff and always with the newest state.
 *
 * Why threads rather than one event loop: each probe blocks in its own small world (a child
 * process, a socket), threads keep each one's timeout independent of the others with plain
 * blocking code, and a thread costs ~40 KiB of touched stack. There are at most 64. */
#ifndef OKG_PROBE_AGENT_H
#define OKG_PROBE_AGENT_H

#include <stdbool.h>

#include "probe/report.h"
#include "probe/run.h"
#include "probe/spec.h"

struct pr_agent_opts {
	const struct pr_spec *spec;
	struct pr_ctx ctx; /* pod IP, pod UID, stop_fd */
	struct pr_report_meta meta;
	const struct pr_reporter *reporter;
	long heartbeat_s;
	unsigned backoff_base_ms; /* retries after connection trouble, 429, 5xx */
	unsigned backoff_cap_ms;
	unsigned slow_base_ms; /* retries after 401, 403, 404 and other refusals */
	unsigned slow_cap_ms;
};

/* Runs until opts->ctx.stop_fd becomes readable. Returns 0, or a negative errno when the
 * threads cannot be started. */
int pr_agent_run(const struct pr_agent_opts *opts);

/* Runs every probe once (no initial delay; all at the same time), each quality's state being
 * its single outcome, and returns the report as a new string (*json, caller frees). */
int pr_agent_once(const struct pr_agent_opts *opts, char **json);

#endif
