/*
 * metrics.c - the counters.  See metrics.h.
 *
 * Every counter is a uint64_t bumped with a relaxed atomic add: SMTP
 * threads never take a lock to count.  The latency histogram keeps one
 * count per bucket, so a reader sums a cumulative view from one read of
 * each and its total always equals the sum of its buckets.
 */
#include <string.h>
#include <time.h>

#include "metrics.h"

/* 50 us to 1 s. */
const struct metrics_bound metrics_latency_bounds[METRICS_LATENCY_BOUNDS] = {
	{ 50000, "5e-05" }, { 100000, "0.0001" }, { 250000, "0.00025" },
	{ 500000, "0.0005" }, { 1000000, "0.001" }, { 2500000, "0.0025" },
	{ 5000000, "0.005" }, { 10000000, "0.01" }, { 25000000, "0.025" },
	{ 50000000, "0.05" }, { 100000000, "0.1" }, { 250000000, "0.25" },
	{ 500000000, "0.5" }, { 1000000000, "1" },
};

static struct metrics_counts metrics;
static uint64_t metrics_rate[METRICS_RATE_SECONDS];

static inline void metrics_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline bool metrics_detector_ok(enum detector detector)
{
	return (unsigned)detector < DETECTOR_COUNT;
}

static inline bool metrics_action_ok(enum action action)
{
	return (unsigned)action < METRICS_ACTIONS;
}

/* Counting. */

void metrics_connection(void)
{
	metrics_add(&metrics.connections, 1);
}

void metrics_event(enum detector detector)
{
	if (metrics_detector_ok(detector))
		metrics_add(&metrics.events[detector], 1);
}

static void metrics_rate_add(int64_t now)
{
	uint64_t *slot = &metrics_rate[(uint64_t)now % METRICS_RATE_SECONDS];
	uint64_t second = (uint64_t)(uint32_t)now << 32;
	uint64_t was = __atomic_load_n(slot, __ATOMIC_RELAXED), next;

	do {
		next = (was & 0xffffffff00000000u) == second ? was + 1 :
		    second | 1;
	} while (!__atomic_compare_exchange_n(slot, &was, next, true,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

uint64_t metrics_refusals_recent(int64_t now, unsigned seconds)
{
	uint64_t total = 0;

	if (seconds >= METRICS_RATE_SECONDS)
		seconds = METRICS_RATE_SECONDS - 1;
	for (unsigned back = 0; back < seconds; back++) {
		int64_t when = now - back;
		uint64_t word = __atomic_load_n(&metrics_rate[(uint64_t)when %
		    METRICS_RATE_SECONDS], __ATOMIC_RELAXED);

		if (word >> 32 == (uint32_t)when)
			total += word & 0xffffffffu;
	}
	return total;
}

void metrics_refusal(enum detector detector, enum action action)
{
	if (metrics_detector_ok(detector) && metrics_action_ok(action)) {
		metrics_add(&metrics.refusals[detector][action], 1);
		metrics_rate_add((int64_t)time(NULL));
	}
}

static void metrics_other_refusal(unsigned row, enum action action)
{
	if (metrics_action_ok(action)) {
		metrics_add(&metrics.refusals[row][action], 1);
		metrics_rate_add((int64_t)time(NULL));
	}
}

void metrics_blocked_list_refusal(enum action action)
{
	metrics_other_refusal(METRICS_BLOCKED_LIST, action);
}

void metrics_concurrency_refusal(enum action action)
{
	metrics_other_refusal(METRICS_CONCURRENCY, action);
}

void metrics_block_started(enum detector detector, uint32_t level,
    bool network)
{
	if (!metrics_detector_ok(detector))
		return;
	metrics_add(&metrics.blocks_started[detector], 1);
	if (level > 0)
		metrics_add(&metrics.blocks_escalated[detector], 1);
	if (network)
		metrics_add(&metrics.blocks_network[detector], 1);
}

void metrics_exclusion(enum metrics_exclusion reason)
{
	if ((unsigned)reason < METRICS_EXCLUSIONS)
		metrics_add(&metrics.exclusions[reason], 1);
}

void metrics_flagged(void)
{
	metrics_add(&metrics.flagged, 1);
}

void metrics_store_error(enum store_decider decided)
{
	if (decided != STORE_DECIDED_STORE && (unsigned)decided < METRICS_DECIDERS)
		metrics_add(&metrics.store_errors[decided], 1);
}

void metrics_store_latency_ns(uint64_t ns)
{
	size_t b = 0;

	while (b < METRICS_LATENCY_BOUNDS && ns > metrics_latency_bounds[b].ns)
		b++;
	metrics_add(&metrics.latency[b], 1);
	metrics_add(&metrics.latency_sum_ns, ns);
}

void metrics_reload(bool ok)
{
	metrics_add(ok ? &metrics.reloads_ok : &metrics.reloads_failed, 1);
}

void metrics_session_stage(int from, int to)
{
	if (from >= 0 && from < SESSIONS_STAGES)
		__atomic_sub_fetch(&metrics.live_sessions[from], 1,
		    __ATOMIC_RELAXED);
	if (to >= 0 && to < SESSIONS_STAGES)
		metrics_add(&metrics.live_sessions[to], 1);
}

uint64_t metrics_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void metrics_set_start_time(int64_t when)
{
	__atomic_store_n(&metrics.start_time, when, __ATOMIC_RELAXED);
}

void metrics_reset(void)
{
	memset(&metrics, 0, sizeof(metrics));
	memset(metrics_rate, 0, sizeof(metrics_rate));
}

/* Reading. */

static void metrics_copy(uint64_t *to, const uint64_t *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

void metrics_read(struct metrics_counts *counts)
{
	metrics_copy(&counts->connections, &metrics.connections, 1);
	metrics_copy(counts->events, metrics.events, DETECTOR_COUNT);
	metrics_copy(&counts->refusals[0][0], &metrics.refusals[0][0],
	    METRICS_REFUSERS * METRICS_ACTIONS);
	metrics_copy(counts->blocks_started, metrics.blocks_started,
	    DETECTOR_COUNT);
	metrics_copy(counts->blocks_escalated, metrics.blocks_escalated,
	    DETECTOR_COUNT);
	metrics_copy(counts->blocks_network, metrics.blocks_network,
	    DETECTOR_COUNT);
	metrics_copy(counts->exclusions, metrics.exclusions,
	    METRICS_EXCLUSIONS);
	metrics_copy(&counts->flagged, &metrics.flagged, 1);
	metrics_copy(counts->store_errors, metrics.store_errors,
	    METRICS_DECIDERS);
	metrics_copy(counts->latency, metrics.latency,
	    METRICS_LATENCY_BOUNDS + 1);
	metrics_copy(&counts->latency_sum_ns, &metrics.latency_sum_ns, 1);
	metrics_copy(&counts->reloads_ok, &metrics.reloads_ok, 1);
	metrics_copy(&counts->reloads_failed, &metrics.reloads_failed, 1);
	metrics_copy(counts->live_sessions, metrics.live_sessions,
	    SESSIONS_STAGES);
	counts->start_time = __atomic_load_n(&metrics.start_time,
	    __ATOMIC_RELAXED);
}
