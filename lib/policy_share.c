/*
 * policy_share.c - see policy_share.h.
 */
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "metrics.h"
#include "policy.h"
#include "policy_share.h"
#include "sessions.h"
#include "xalloc.h"

#define POLICY_SHARE_RATE_SECONDS	10	/* as bulwarkctl top's own */

_Static_assert(STORE_NODE_STAGES == SESSIONS_STAGES,
    "a node summary has one count per stage");

static void policy_share_self(struct policy *policy, struct store_node *self)
{
	struct sessions_stats stats;
	int64_t now = (int64_t)time(NULL);

	sessions_stats(policy_sessions(policy), &stats);
	self->sessions = stats.live;
	for (unsigned s = 0; s < SESSIONS_STAGES; s++)
		self->stages[s] = stats.stages[s];
	self->refusals_per_second = (double)metrics_refusals_recent(now,
	    POLICY_SHARE_RATE_SECONDS) / POLICY_SHARE_RATE_SECONDS;
}

size_t policy_share_sessions(void *arg, struct store_host_sessions *out,
    size_t max, unsigned *lease, uint64_t *seq, struct store_node *self)
{
	struct policy *policy = arg;
	struct config *cfg = policy_config(policy);
	struct sessions_host *hosts;
	size_t n;

	*lease = cfg->concurrency_enabled ? cfg->concurrency_lease : 0;
	*seq = 0;
	config_unref(cfg);
	policy_share_self(policy, self);
	if (*lease == 0)
		return 0;
	hosts = xcalloc(max, sizeof(*hosts));
	n = sessions_counted(policy_sessions(policy), hosts, max, seq);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct store_host_sessions){ hosts[i].key,
		    hosts[i].sessions };
	free(hosts);
	return n;
}
