/*
 * firewall_worker.h - what the firewall's worker thread does to the sets
 * (private to firewall*.c).  Every function runs on that thread alone.
 *
 * firewall_worker_add() pushes key until `until` (0: no end) unless it is
 * guarded, covered or the sets are full; a new element that replaces
 * nothing waits in a batch that firewall_worker_flush() pushes in one
 * transaction (element by element when that fails), so that a flood of
 * new blocks costs one nftables call per batch, not per host; firewall_worker_remove() deletes
 * key's element; firewall_worker_sync() reads the node's addresses again,
 * empties the sets and loads the static blocked list and the store's
 * active blocks, in one transaction (element by element when that fails);
 * firewall_worker_tick() forgets the elements the kernel has expired.
 * Failures are counted and logged once per change of state.
 * firewall_pushes() says whether cfg sends detector's blocks to the sets.
 */
#ifndef BULWARK_FIREWALL_WORKER_H
#define BULWARK_FIREWALL_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "firewall_guard.h"
#include "firewall_nft.h"
#include "firewall_table.h"
#include "policy.h"
#include "store.h"

struct firewall_worker {
	struct policy *policy;
	struct store *store;
	struct config *cfg;		/* the configuration worked with */
	struct firewall_nft *nft;
	struct firewall_table table;
	struct firewall_guard guard;
	struct firewall_entry *pending;	/* added to the table, not yet pushed */
	size_t npending;
	size_t pending_size;
	bool failing;			/* the last change failed */
	bool full;			/* max_elements reached */
};

bool firewall_pushes(const struct config *cfg, enum detector detector);
void firewall_worker_add(struct firewall_worker *w, const struct host_key *key,
    int64_t until, int64_t now);
void firewall_worker_flush(struct firewall_worker *w, int64_t now);
void firewall_worker_remove(struct firewall_worker *w,
    const struct host_key *key, int64_t now);
void firewall_worker_sync(struct firewall_worker *w, int64_t now);
void firewall_worker_tick(struct firewall_worker *w, int64_t now);

#endif
