/*
 * ratelimit.c - see ratelimit.h.
 *
 * One compare-and-swap on the second decides which thread logs; the
 * others only add to the count.
 */
#include "ratelimit.h"

bool ratelimit_pass(struct ratelimit *r, int64_t now, uint64_t *unlogged)
{
	int64_t last = __atomic_load_n(&r->last, __ATOMIC_RELAXED);

	if (now == last || !__atomic_compare_exchange_n(&r->last, &last, now,
	    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&r->unlogged, 1, __ATOMIC_RELAXED);
		return false;
	}
	*unlogged = __atomic_exchange_n(&r->unlogged, 0, __ATOMIC_RELAXED);
	return true;
}
