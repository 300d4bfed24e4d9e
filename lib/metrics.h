/*
 * metrics.h - process-wide counters of what bulwark saw and did, and
 * their text for Prometheus.
 *
 * The counting functions may be called from any thread at any time: each
 * is one relaxed atomic add, no lock.  Counters only grow (until
 * metrics_reset(), for tests).  What each one counts:
 *   metrics_connection()     a client connection with an IP address;
 *   metrics_event(d)         an event recorded in the store for detector d
 *                            (dos: a connection, dha: an invalid recipient,
 *                            attack: a flagged connection);
 *   metrics_refusal(d, a)    a refusal decided by detector d's block or
 *                            rule, with the action taken (ACTION_LOG: only
 *                            logged, as under monitor_only); counted once,
 *                            when decided, not again when later commands
 *                            of the same session get the same reply;
 *   metrics_blocked_list_refusal(a)  the same for the static blocked list;
 *   metrics_block_started(d) a host blocked by detector d;
 *   metrics_flagged()        a connection flagged as a possible attack;
 *   metrics_store_error()    a store operation that failed;
 *   metrics_store_latency_ns(ns)  how long one store operation took;
 *   metrics_reload(ok)       a configuration reload, done or refused.
 * Label values are always fixed names chosen by an enum, never client data.
 *
 * metrics_monotonic_ns() is the clock store latencies are measured with.
 * metrics_set_start_time() records when the daemon started (Unix
 * seconds); without it the start time is not shown.
 *
 * metrics_render() returns the Prometheus text format (version 0.0.4) of
 * every metric, malloc'd, for the caller to free.  With a store it also
 * shows the blocks in force at now by detector (walking the store's
 * blocks: the metric is left out when the walk fails) and whether the
 * store is degraded.  It never fails.
 *
 * metrics_label_escape() writes value as the inside of a quoted label
 * value (backslash, double quote and line feed escaped), truncated to fit
 * outlen; render uses it for every label.
 */
#ifndef BULWARK_METRICS_H
#define BULWARK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detector.h"
#include "store.h"

void metrics_connection(void);
void metrics_event(enum detector detector);
void metrics_refusal(enum detector detector, enum action action);
void metrics_blocked_list_refusal(enum action action);
void metrics_block_started(enum detector detector);
void metrics_flagged(void);
void metrics_store_error(void);
void metrics_store_latency_ns(uint64_t ns);
void metrics_reload(bool ok);

uint64_t metrics_monotonic_ns(void);
void metrics_set_start_time(int64_t when);

char *metrics_render(struct store *store, int64_t now);
void metrics_label_escape(const char *value, char *out, size_t outlen);

/* Zero every counter and forget the start time. */
void metrics_reset(void);

#endif
