/*
 * firewall.h - blocked hosts into nftables sets, so that the kernel drops
 * their new connections (the firewall group of bulwark.conf(5)).
 *
 * The sets are changed by a worker thread of this module alone; whoever
 * learns of a block only queues it, so no SMTP event waits for the kernel.
 *
 * firewall_check() does nothing (0) when cfg's firewall is off; else it
 * checks the table and sets (firewall_nft.h) and returns 0, or -1 with a
 * sentence in err.  bulwark -t and the start call it.
 *
 * firewall_start() (firewall on) checks, starts the worker and registers
 * it as policy's block observer; it returns 0, or -1 with err.  Call it
 * after privileges are dropped (the thread keeps the capabilities of its
 * creator) and before the milter serves.  The worker first empties the
 * sets and loads the static blocked list and the store's active blocks
 * (store_list_blocks) in one transaction; it does the same after each
 * reload (it sees the policy's configuration change within a second),
 * reading the node's own addresses again.
 *
 * firewall_add() says key is blocked by detector until `until` (Unix
 * seconds).  It is queued when the firewall runs, the detector is one of
 * firewall.detectors, its action is not log and monitor_only is off;
 * the worker pushes it with the time left as the element's timeout,
 * unless it is guarded (firewall_guard.h), already covered by a longer
 * lasting element, or the sets hold max_elements.  firewall_remove()
 * says key was unblocked: its element goes.  firewall_resync() asks for
 * the full load again (say, once a shared store is back).  These three
 * may be called from any thread at any time (a no-op while stopped); they
 * take one short lock and never wait for the kernel.  A full queue drops
 * the request (counted; the milter still refuses the host).  The feed of
 * the blocks made on other nodes is the Redis store's record of the
 * array's blocks (store_known.h): firewall_start() registers as its
 * hook, so a block or unblock made on any node reaches this node's sets
 * as soon as the node hears of it (within a second).
 *
 * A failed change of the sets is counted and logged once per change of
 * state (event=firewall-error, then event=firewall-recovered); the
 * milter goes on.  firewall_stop() stops the worker; the elements stay in
 * the kernel until they expire.
 */
#ifndef BULWARK_FIREWALL_H
#define BULWARK_FIREWALL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "detector.h"
#include "policy.h"
#include "store.h"

int firewall_check(const struct config *cfg, char *err, size_t errlen);
int firewall_start(struct policy *policy, struct store *store, char *err,
    size_t errlen);
void firewall_add(const struct host_key *key, enum detector detector,
    int64_t until);
void firewall_remove(const struct host_key *key);
void firewall_resync(void);
void firewall_stop(void);

#endif
