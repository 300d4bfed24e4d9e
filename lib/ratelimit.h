/*
 * ratelimit.h - at most one log line a second for a kind of event that
 * can come in floods (store errors, malformed requests), with a count of
 * the lines left out.
 *
 * A struct ratelimit starts zeroed (static storage) and is safe to share
 * between threads: it is only read and written with atomic operations.
 *
 * ratelimit_pass() is called once per event, at now (Unix seconds).  It
 * returns true for the first event of a second: the caller logs it, and
 * *unlogged is set to the number of events left unlogged since the last
 * line.  Otherwise it counts the event as unlogged and returns false.
 */
#ifndef BULWARK_RATELIMIT_H
#define BULWARK_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	int64_t last;			/* second of the last line logged */
	uint64_t unlogged;		/* events since then */
};

bool ratelimit_pass(struct ratelimit *r, int64_t now, uint64_t *unlogged);

#endif
