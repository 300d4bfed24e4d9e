/*
 * store_fallback.h - a shared store with the node's own store behind it:
 * the one place that says what the node does when the shared store fails.
 *
 * store_fallback_new() takes over primary (a shared backend that may
 * fail, e.g. Redis) and local (a memory store) and returns a store that
 * answers to the primary's name.  on_error is what an event gets while
 * the primary fails (fallback_decide() in store_fallback.c):
 *   REDIS_ON_ERROR_LOCAL     decided by the local store, which has been
 *                            told of every block the primary reported or
 *                            that was set through this store, so known
 *                            blocks stay enforced until they end; when
 *                            the primary keeps a record of the array's
 *                            blocks (store_known()), that record refuses
 *                            first, so blocks made on other nodes stay
 *                            enforced too, and the local store's new
 *                            blocks join it;
 *   REDIS_ON_ERROR_ACCEPT    let through;
 *   REDIS_ON_ERROR_TEMPFAIL  refused for now (the caller's 421 4.3.0).
 * record() then returns 0 with result->decided naming which of those
 * decided (STORE_DECIDED_STORE when the primary did); it never fails.
 *
 * An event the primary fails for its key alone (STORE_KEY_FAILED: e.g. a
 * key of the wrong type) is decided as on_error says too, but the
 * primary answered: it stays healthy (or has recovered), and the other
 * hosts' events keep going to it.
 *
 * Health: after the primary fails an event, it is skipped for a back-off
 * (100 ms, doubled by each failed probe up to 2 s) and one event at a
 * time probes it; the change of state is logged once each way
 * (event=store-degraded with the reason and on_error, event=store-
 * recovered).  At open one lookup checks the primary, so a Redis out of
 * reach at start is logged then.  The other calls always go to the
 * primary and return its failures; block() and unblock() also reach the
 * local store.  degraded() is 1 between the two log lines.
 *
 * store_fallback_set_clock() replaces the monotonic clock (nanoseconds)
 * the back-off runs on; for tests.
 */
#ifndef BULWARK_STORE_FALLBACK_H
#define BULWARK_STORE_FALLBACK_H

#include <stdint.h>

#include "config.h"
#include "store.h"

struct store *store_fallback_new(struct store *primary, struct store *local,
    enum redis_on_error on_error);
void store_fallback_set_clock(struct store *fallback, int64_t (*now_ns)(void));

#endif
