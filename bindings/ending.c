// SPDX-License-Identifier: MIT
/*
 * How a run ended, in the words both backends use: the closing summary,
 * the client's own end before the guest's, and the deadline.
 */
#include "backend.h"
#include "output.h"

int run_finish(int code, const char *status,
	       const struct output_programs *programs)
{
	struct output_counts counts;

	if (run_counts(&counts))
		output_set_counts(&counts);
	output_result(code, status, programs);
	return code;
}

int run_conclude_client(const struct run_client *client,
			const struct output_programs *programs)
{
	if (run_wrong_arch())
		return run_finish(EXIT_USAGE, "a guest of another architecture",
				  programs);
	switch (client->outcome(client->opaque)) {
	case RUN_CLIENT_FAILED:
		return run_finish(EXIT_SCRIPT, "script error", programs);
	case RUN_CLIENT_STOPPED:
		return run_finish(EXIT_OK, "stopped by the script", programs);
	default:
		return -1;
	}
}

void run_timed_out(const struct options *o)
{
	output_error("the guest was still running after %u s (--timeout)",
		     o->timeout_s);
}
