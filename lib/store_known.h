/*
 * store_known.h - the node's record of the blocks it knows: every block
 * of the array, fed by the Redis store (its own events and the blocks and
 * unblocks every node publishes, redis_notify.h), read at CONNECT without
 * a round trip and by the fallback while Redis is away.
 *
 * A record maps a host key to, per detector, the end of its block and its
 * start (0: unknown).  Entries carry nothing once every block has ended;
 * store_known_sweep() reclaims them.  At most max_entries hosts are held:
 * beyond that a new host is not recorded (its blocks are still in Redis,
 * the record is an aid, never the authority while Redis answers).
 *
 * store_known_set(): detector's block of key ends at until (replacing the
 *   end known), started at start (0 keeps the start known), tripped at
 *   count events (0 keeps the count known).
 * store_known_hold(): store_known_set() for a block the shared store
 *   does not hold yet (tripped by the node's own store while the shared
 *   one was away): pending until store_known_each_pending() hands it
 *   over.
 * store_known_set_level(): the escalation level of a block known.
 * store_known_clear(): forget every block of key (an unblock made by the
 *   node), and ignore what store_known_learn() hears of key until the
 *   unblock is heard back (store_known_forget()) or for
 *   STORE_KNOWN_QUIET_S seconds (store_known_quiet.h): a block read
 *   before the unblock and heard after it stays lifted.
 * store_known_learn() / store_known_forget(): the same for what the node
 *   heard from the array; the hook (store_known_set_hook(): one callback,
 *   e.g. the firewall) is then called with (key, detector, until), and
 *   with detector DETECTOR_COUNT and until 0 for an unblock.  It runs on
 *   the caller's thread, with no shard of the record locked (a lock of
 *   the hook's own is held: store_known_set_hook() waits for a running
 *   hook, so once it returns the old hook is never called again).  With the
 *   Redis store that is the listener's thread (redis_notify.h), and the
 *   hook hears of every block and unblock of the array, the node's own
 *   included (they come back on the channel), and of every active block
 *   when the listener (re)subscribes: what a firewall of the node needs
 *   (store_known(store) gives the record; an unblock may be told twice).
 * store_known_refuses(): the CONNECT fast path.  True when, under rules,
 *   the host is refused by a block the record knows and no Redis call is
 *   needed: some enabled detector's block ends after now, and no enabled
 *   sliding detector has a block (those are extended by each retry, in
 *   Redis).  hit names the block ending last.  Each
 *   refusal is counted for the summary.
 * store_known_enforce(): while the shared store is away: the same check
 *   over every enabled detector, extending sliding blocks in the record as
 *   store_apply_event() does; true when refused.
 * store_known_refuses_event() / store_known_enforce_event(): the same for
 *   an event, over its host (under event->rules) and each of its networks
 *   (n from store_event_nets(), each under its network rules), as
 *   store_apply_event() checks them at CONNECT: the block ending last of
 *   them all refuses (the host's on a tie); without the shared store's
 *   help only when none of them has a sliding block.  result is then the
 *   refusal (store_known_result()), naming the network whose block it is.
 * store_known_note_result(): what a store decided of an event, into the
 *   record: the block a refusing or tripping result names (started at
 *   the event's time when tripped), under store_result_key().
 * store_known_each(): fn for every block active at now (a copy is taken
 *   first: fn may call into the record); fn returning non-zero stops.
 * store_known_each_pending(): the same for every pending block, which is
 *   pending no more unless fn failed on it (returned non-zero; the walk
 *   goes on, and returns non-zero).
 * store_known_sweep(): reclaim what has ended, and log what was refused
 *   without a log line: one line per block per STORE_KNOWN_SUMMARY_S
 *   (event=refuse-summary ... refused=N), and a last one when the block
 *   ends or is lifted.
 * store_known_sync_begin() / store_known_sync_end(): a reload from the
 *   shared store: what was not set (learned, recorded) since the begin
 *   is forgotten at the end, as an unblock heard (the hook is called),
 *   for a node that missed messages while away.
 * store_known_count(): hosts held.
 * All are safe from many threads; lookups take one shard's lock, and none
 * at all while the record is empty.
 */
#ifndef BULWARK_STORE_KNOWN_H
#define BULWARK_STORE_KNOWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "detector.h"
#include "rule.h"

struct store_event;
struct store_nets;
struct store_result;

#define STORE_KNOWN_SUMMARY_S	60

struct store_known;

/* The block that refused: its detector, end and the count that tripped it. */
struct store_known_hit {
	enum detector detector;
	int64_t until;
	uint32_t count;
	uint32_t level;			/* its escalation level, 0: unknown */
};

typedef void store_known_hook_fn(void *arg, const struct host_key *key,
    enum detector detector, int64_t until);
typedef int store_known_each_fn(void *arg, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start);

struct store_known *store_known_new(size_t max_entries);
void store_known_free(struct store_known *k);
void store_known_set_hook(struct store_known *k, store_known_hook_fn *fn,
    void *arg);

void store_known_set(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count);
void store_known_hold(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count);
void store_known_set_level(struct store_known *k, const struct host_key *key,
    enum detector detector, uint32_t level);
void store_known_clear(struct store_known *k, const struct host_key *key);
void store_known_learn(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count);
void store_known_forget(struct store_known *k, const struct host_key *key);

bool store_known_refuses(struct store_known *k, const struct host_key *key,
    const struct rule *rules, int64_t now, struct store_known_hit *hit);
bool store_known_enforce(struct store_known *k, const struct host_key *key,
    const struct rule *rules, int64_t now, struct store_known_hit *hit);
bool store_known_refuses_event(struct store_known *k,
    const struct store_event *event, const struct store_nets *n,
    struct store_result *result);
bool store_known_enforce_event(struct store_known *k,
    const struct store_event *event, const struct store_nets *n,
    struct store_result *result);
/* The store result of a refusal by hit (the rest of result zeroed). */
void store_known_result(const struct store_known_hit *hit,
    struct store_result *result);

int store_known_each(struct store_known *k, int64_t now,
    store_known_each_fn *fn, void *arg);
int store_known_each_pending(struct store_known *k, int64_t now,
    store_known_each_fn *fn, void *arg);
void store_known_sweep(struct store_known *k, int64_t now);
uint64_t store_known_sync_begin(struct store_known *k);
void store_known_sync_end(struct store_known *k, uint64_t since);
void store_known_note_result(struct store_known *k,
    const struct store_event *event, const struct store_result *result);
size_t store_known_count(struct store_known *k);

#endif
