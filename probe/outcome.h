/* outcome: what one run of a probe gave. */
#ifndef OKG_PROBE_OUTCOME_H
#define OKG_PROBE_OUTCOME_H

#include <stdbool.h>

#include "probe/text.h"

struct pr_outcome {
	int ok;	       /* 1 success, 0 failure */
	bool canceled; /* the helper is stopping: not an outcome, drop it */
	bool has_exit_code;
	int exit_code;
	char result[PR_RESULT_MAX + 1];
	char message[PR_MESSAGE_MAX + 1];
	char ops_state[256]; /* sidecar mode: the opsState asked for, "" for none */
	long long cpu_us;    /* exec: CPU (user + system) of the probe's processes, -1 unknown */
};

#endif
