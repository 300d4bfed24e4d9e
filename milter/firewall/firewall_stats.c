/*
 * firewall_stats.c - see firewall_stats.h.  Kept apart from the firewall
 * itself so that the metrics can be built and tested without libnftables.
 */
#include "firewall_stats.h"

static uint64_t stats_counters[FIREWALL_COUNTERS];
static uint64_t stats_elements;
static int stats_state;

void firewall_stats_count(enum firewall_counter counter, uint64_t n)
{
	__atomic_add_fetch(&stats_counters[counter], n, __ATOMIC_RELAXED);
}

void firewall_stats_set_elements(uint64_t elements)
{
	__atomic_store_n(&stats_elements, elements, __ATOMIC_RELAXED);
}

void firewall_stats_set_state(enum firewall_state state)
{
	__atomic_store_n(&stats_state, (int)state, __ATOMIC_RELAXED);
}

void firewall_stats_read(struct firewall_stats *out)
{
	for (unsigned i = 0; i < FIREWALL_COUNTERS; i++)
		out->counters[i] = __atomic_load_n(&stats_counters[i],
		    __ATOMIC_RELAXED);
	out->elements = __atomic_load_n(&stats_elements, __ATOMIC_RELAXED);
	out->state = (enum firewall_state)__atomic_load_n(&stats_state,
	    __ATOMIC_RELAXED);
}

const char *firewall_state_name(enum firewall_state state)
{
	switch (state) {
	case FIREWALL_OK:
		return "ok";
	case FIREWALL_FAILING:
		return "failing";
	case FIREWALL_OFF:
		break;
	}
	return "off";
}
