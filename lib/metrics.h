/*
 * metrics.h - process-wide counters of what bulwark saw and did.
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
 *   metrics_concurrency_refusal(a)   the same for the concurrency limit;
 *   metrics_block_started(d, level, network)  a host blocked by
 *                            detector d, at that escalation level (above
 *                            0: escalated); network: a network rule's
 *                            block, of a whole network;
 *   metrics_exclusion(r)     a connection not counted, for reason r;
 *   metrics_flagged()        a connection flagged as a possible attack;
 *   metrics_store_error(d)   an event decided without the shared store
 *                            (it failed, or failed for this host's key),
 *                            by d: STORE_DECIDED_LOCAL (the node's own
 *                            store), _ACCEPT or _TEMPFAIL (redis.on_error);
 *                            STORE_DECIDED_STORE is not counted;
 *   metrics_store_latency_ns(ns)  how long one store operation took, kept
 *                            in the bucket of the first bound of
 *                            metrics_latency_bounds[] at or above ns, or
 *                            in the last, unbounded one;
 *   metrics_reload(ok)       a configuration reload, done or refused;
 *   metrics_session_stage(from, to)  a live session moved from stage from
 *                            to stage to (sessions.h); from -1 when it
 *                            opened, to -1 when it closed.  These are
 *                            gauges: they go down as well as up.
 *
 * Refusals are also kept per second of the clock for the last
 * METRICS_RATE_SECONDS seconds: metrics_refusals_recent(now, seconds)
 * is the number decided in the `seconds` seconds up to now (now
 * included), at most METRICS_RATE_SECONDS - 1 of them.
 *
 * metrics_monotonic_ns() is the clock store latencies are measured with.
 * metrics_set_start_time() records when the daemon started (Unix
 * seconds); 0 (the default) means not recorded.
 *
 * metrics_read() copies every counter into counts, each read on its own
 * (a read racing with traffic may see one counter a step ahead of
 * another).  How they are shown is the daemon's business.
 */
#ifndef BULWARK_METRICS_H
#define BULWARK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detector.h"
#include "sessions.h"
#include "store.h"

#define METRICS_ACTIONS		3	/* enum action: log, tempfail, reject */
/*
 * Refusals are kept per detector, then one row for the blocked list and
 * one for the concurrency limit.
 */
#define METRICS_BLOCKED_LIST	DETECTOR_COUNT
#define METRICS_CONCURRENCY	(DETECTOR_COUNT + 1)
#define METRICS_REFUSERS	(DETECTOR_COUNT + 2)
#define METRICS_LATENCY_BOUNDS	14
#define METRICS_RATE_SECONDS	64
#define METRICS_DECIDERS	4	/* enum store_decider */

/* Why a connection is not counted. */
enum metrics_exclusion {
	METRICS_EXCLUDE_LIST,		/* exclude, exclude_file */
	METRICS_EXCLUDE_VERIFIED,	/* exclude_verified_domains */
	METRICS_EXCLUSIONS
};

/* An upper bound of a latency bucket, and the same in seconds as text. */
struct metrics_bound {
	uint64_t ns;
	const char *seconds;
};

extern const struct metrics_bound
    metrics_latency_bounds[METRICS_LATENCY_BOUNDS];

struct metrics_counts {
	uint64_t connections;
	uint64_t events[DETECTOR_COUNT];
	uint64_t refusals[METRICS_REFUSERS][METRICS_ACTIONS];
	uint64_t blocks_started[DETECTOR_COUNT];
	uint64_t blocks_escalated[DETECTOR_COUNT];
	uint64_t blocks_network[DETECTOR_COUNT];
	uint64_t exclusions[METRICS_EXCLUSIONS];
	uint64_t flagged;
	uint64_t store_errors[METRICS_DECIDERS];	/* by enum store_decider */
	/* Per bucket, not cumulative; the last one is above every bound. */
	uint64_t latency[METRICS_LATENCY_BOUNDS + 1];
	uint64_t latency_sum_ns;
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	uint64_t live_sessions[SESSIONS_STAGES];	/* gauges */
	int64_t start_time;
};

void metrics_connection(void);
void metrics_event(enum detector detector);
void metrics_refusal(enum detector detector, enum action action);
void metrics_blocked_list_refusal(enum action action);
void metrics_concurrency_refusal(enum action action);
void metrics_block_started(enum detector detector, uint32_t level,
    bool network);
void metrics_exclusion(enum metrics_exclusion reason);
void metrics_flagged(void);
void metrics_store_error(enum store_decider decided);
void metrics_store_latency_ns(uint64_t ns);
void metrics_reload(bool ok);
void metrics_session_stage(int from, int to);
uint64_t metrics_refusals_recent(int64_t now, unsigned seconds);

uint64_t metrics_monotonic_ns(void);
void metrics_set_start_time(int64_t when);

void metrics_read(struct metrics_counts *counts);

/* Zero every counter and forget the start time. */
void metrics_reset(void);

#endif
