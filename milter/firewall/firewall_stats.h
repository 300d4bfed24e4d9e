/*
 * firewall_stats.h - what the firewall did, for bulwarkctl status and the
 * metrics: counters that only grow, the elements held and the state.
 *
 * firewall_stats_count() adds n to one counter; the others set a gauge.
 * Any thread may call them (relaxed atomics, no lock); firewall_stats_read()
 * copies everything, each value read on its own.
 */
#ifndef BULWARK_FIREWALL_STATS_H
#define BULWARK_FIREWALL_STATS_H

#include <stdint.h>

enum firewall_state {
	FIREWALL_OFF,			/* not enabled */
	FIREWALL_OK,
	FIREWALL_FAILING		/* the last change of the sets failed */
};

enum firewall_counter {
	FIREWALL_PUSHED,		/* elements added (or renewed) */
	FIREWALL_REMOVED,		/* elements deleted by an unblock */
	FIREWALL_ERRORS,		/* changes of the sets that failed */
	FIREWALL_SKIPPED,		/* loopback, own or excluded: never pushed */
	FIREWALL_DROPPED,		/* queue or max_elements full */
	FIREWALL_COUNTERS
};

struct firewall_stats {
	uint64_t counters[FIREWALL_COUNTERS];
	uint64_t elements;
	enum firewall_state state;
};

void firewall_stats_count(enum firewall_counter counter, uint64_t n);
void firewall_stats_set_elements(uint64_t elements);
void firewall_stats_set_state(enum firewall_state state);
void firewall_stats_read(struct firewall_stats *out);
const char *firewall_state_name(enum firewall_state state);

#endif
