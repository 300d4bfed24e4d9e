/*
 * store_known_quiet.h - the keys the node unblocked a moment ago, for
 * the record of known blocks (store_known.h): what it heard of their
 * blocks since is older than the unblock, and ignored.
 *
 * A block's message ("b", redis_notify.h) or the reload of the record
 * from the index can reach the listener after the node's own unblock of
 * the same key cleared the record, because both were read before the
 * unblock; learned then, the block would refuse from the record until
 * the unblock's own message ("u") came back.  So each unblock made by
 * the node makes its key quiet until that message is heard or
 * STORE_KNOWN_QUIET_S seconds pass (a listener away hears nothing).
 *
 * store_known_quiet_add(): key is quiet from now on.
 * store_known_quiet_drop(): key is quiet no more (its unblock heard).
 * store_known_quiet_holds(): true while key is quiet.
 * The last STORE_KNOWN_QUIET_MAX unblocks are kept: a burst of more (an
 * unblock of every block) leaves the oldest unguarded.  All are safe
 * from many threads and cost an atomic load while nothing is quiet.
 */
#ifndef BULWARK_STORE_KNOWN_QUIET_H
#define BULWARK_STORE_KNOWN_QUIET_H

#include <stdbool.h>

#include "addr.h"

#define STORE_KNOWN_QUIET_MAX	64
#define STORE_KNOWN_QUIET_S	10

struct store_known_quiet;

struct store_known_quiet *store_known_quiet_new(void);
void store_known_quiet_free(struct store_known_quiet *q);
void store_known_quiet_add(struct store_known_quiet *q,
    const struct host_key *key);
void store_known_quiet_drop(struct store_known_quiet *q,
    const struct host_key *key);
bool store_known_quiet_holds(struct store_known_quiet *q,
    const struct host_key *key);

#endif
