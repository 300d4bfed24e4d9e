/*
 * policy_share.h - what a node tells a shared store of itself: the
 * policy's source for store_set_sessions_source() (store.h).
 *
 * policy_share_sessions(): arg is the policy.  While its configuration
 * has concurrency.enabled, fills out with the counted live sessions per
 * host and the sequence they were read at (sessions_counted()) and
 * *lease with concurrency.lease, else
 * fills none and sets *lease to 0.  Always fills self with the live
 * sessions, per stage, and the refusals a second over the last 10
 * seconds.  Costs a copy of the hosts with live sessions.
 */
#ifndef BULWARK_POLICY_SHARE_H
#define BULWARK_POLICY_SHARE_H

#include "store.h"

size_t policy_share_sessions(void *arg, struct store_host_sessions *out,
    size_t max, unsigned *lease, uint64_t *seq, struct store_node *self);

#endif
