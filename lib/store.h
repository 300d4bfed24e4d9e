/*
 * store.h - where per-host state lives: the interface every backend
 * implements, and the one event function they share.
 *
 * A backend exports one `const struct store_ops` and is chosen by name
 * with store_open().  The interface works per SMTP event ("record this
 * event for this host and tell me the verdict") so that a remote backend
 * can do it atomically in one round trip.  Backends hold no configuration
 * of the rules: each event carries the rules in force, so a reload needs
 * no store change.  What a state means (blocked?, by what, until when,
 * expiry) is for rule.h and rule_host.h to say, never a backend.
 *
 * store_open() opens the backend cfg->store names; a shared backend
 * (Redis) comes wrapped in store_fallback.h, with a memory store as the
 * node's local one, and answers to the backend's name.
 *
 * store_record(): apply one event (see store_apply_event) and fill result;
 *                 result->decided says what decided it (a backend alone:
 *                 always STORE_DECIDED_STORE).
 * store_lookup(): copy the host's states (zeroed when the host is unknown).
 * store_block():  block the host for detector from now until the given
 *                 time (DETECTOR_MANUAL for blocks made by hand).
 * store_unblock(): end every block of the host and forget its counts.
 * store_list_blocks(): call fn for every host with a block active at now;
 *                 fn returning non-zero stops the walk.
 * All return 0, or -1 when the backend failed (store_error() says why; the
 * caller decides what to do without state).  store_record() returns
 * STORE_KEY_FAILED instead when the backend works but failed this host's
 * state (an error reply about its key, such as a key of the wrong type):
 * the event is decided without the store, which is not to blame for it.  They are safe to call from
 * many threads at once.
 * store_degraded(): 1 while the store works in a degraded way (the shared
 *                 store away: the node decides without it), else 0; a
 *                 store without the op is never degraded.
 * store_set_note(): keep a note (who set a manual block, when, why) with
 *                 the host until `until`; store_get_note(): 1 and the
 *                 note, or 0 when there is none.  store_unblock() forgets
 *                 the note too.  Optional: without the ops a note is not
 *                 kept (set returns 0, get finds none).
 * store_known(): the node's record of the array's blocks
 *                 (store_known.h) a shared backend keeps, or NULL.
 *                 Optional.
 * store_get_node(): 1 and the name of the node that started the host's
 *                 block of detector (by its rule), 0 when not known, -1
 *                 when the backend failed.  Optional: a store without the
 *                 op (memory) knows only its own node's blocks.
 * store_tick(): upkeep, about once a second, by whoever runs the store
 *                 for long (the daemon).  Optional: the memory store logs
 *                 the summaries of the refusals its record of blocks
 *                 served (store_known.h); a store that has threads of its
 *                 own (Redis) needs none.
 * store_decider_name(): "store", "local", "accept", "tempfail".
 *
 * Live sessions across the array (optional; a store without the ops
 * leaves result->sessions 0 and the caller counts on its node alone):
 * an event with sessions_max > 0 (CONNECT under a concurrency limit)
 * also counts the session among the host's live sessions of every node,
 * unless the event is refused or, with sessions_enforce, the host has
 * sessions_max already; result->sessions is then the host's live
 * sessions with this one and result->session_held says whether it was
 * counted.  store_session_release() uncounts a held session at its end.
 * store_set_sessions_source(): fn tells the store, every lease / 3
 * seconds, this node's live counted sessions per host (absolute counts
 * that correct any missed release) and the lease; a node's counts that
 * are not renewed within the lease no longer count.  fn also fills the
 * node's summary (live sessions, per stage, refusals a second), which the
 * store publishes every STORE_NODE_PUBLISH seconds for STORE_NODE_TTL
 * seconds.  fn NULL removes it; on return fn is no longer running.
 * store_list_nodes(): call fn for the summary of every node whose last
 * one has not expired, this node's included; -1 when the store failed.
 * store_close() accepts NULL.
 */
#ifndef BULWARK_STORE_H
#define BULWARK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "detector.h"
#include "rule.h"
#include "rule_host.h"

struct config;
struct store_known;

struct store_event {
	struct host_key key;
	int64_t now;			/* Unix seconds, > 0 */
	enum detector counted;		/* detector this event counts for */
	int connect;			/* CONNECT: every detector's block refuses */
	int valid;			/* counts only in the ratio (rule_count_valid) */
	const struct rule *rules;	/* rules[DETECTOR_COUNT] in force */
	uint32_t sessions_max;		/* > 0: count the session (see above) */
	int sessions_enforce;		/* over sessions_max: do not count it */
	unsigned sessions_lease;	/* seconds: concurrency.lease */
	uint64_t sessions_seq;		/* the node's count sequence (sessions.h) */
	/*
	 * Network rules (optional): net_rules[d], where enabled, counts
	 * detector d's events over the client's network nets[d] as well.
	 * NULL: none.
	 */
	const struct rule *net_rules;
	struct host_key nets[DETECTOR_COUNT];
};

/*
 * The distinct networks of an event (store_event_nets()): keys[0 .. count),
 * and of[d] the index of detector d's network, -1 without a network rule.
 * rules[i] are the network rules of the detectors counting over keys[i]
 * (every other detector disabled): what judges that network's state.
 */
struct store_nets {
	unsigned count;
	int of[DETECTOR_COUNT];
	struct host_key keys[DETECTOR_COUNT];
	struct rule rules[DETECTOR_COUNT][DETECTOR_COUNT];
};

#define STORE_KEY_FAILED	(-2)

/* What decided an event. */
enum store_decider {
	STORE_DECIDED_STORE,	/* the store: the shared one, or the only one */
	STORE_DECIDED_LOCAL,	/* the shared store failed: the node's own */
	STORE_DECIDED_ACCEPT,	/* the shared store failed: let through */
	STORE_DECIDED_TEMPFAIL	/* the shared store failed: try again later */
};

struct store_result {
	enum store_decider decided;
	enum rule_outcome outcome;	/* RULE_ALLOWED unless decided by a store */
	enum detector detector;		/* refusing or tripping detector, else counted */
	uint32_t count;			/* that detector's count after the event */
	int64_t block_until;		/* end of its block when refused or tripped */
	bool known;			/* refused from the node's record of blocks
					   (store_known.h), which logs a summary */
	uint32_t sessions;		/* the host's live sessions, 0: not counted */
	int session_held;		/* this session counted: release it */
	uint32_t level;			/* its escalation level, then */
	bool network;			/* the block is network_key's, a network
					   rule's, not the host's */
	struct host_key network_key;
};

/* This node's live counted sessions of one host. */
struct store_host_sessions {
	struct host_key key;
	uint32_t sessions;
};

#define STORE_NODE_NAME_MAX	96
#define STORE_NODE_STAGES	4	/* SESSIONS_STAGES */
#define STORE_NODE_PUBLISH	2	/* seconds */
#define STORE_NODE_TTL		10	/* seconds */

/* What one node of the array says of itself. */
struct store_node {
	char name[STORE_NODE_NAME_MAX];	/* the store fills it in */
	int64_t expires;		/* Unix seconds, the store's clock */
	uint64_t sessions;
	uint64_t stages[STORE_NODE_STAGES];
	double refusals_per_second;
};

/*
 * Fills out (at most max hosts) and returns how many, with the count
 * sequence they were read at in *seq: an event with a later
 * sessions_seq is not in them.  *lease 0: share none.  Fills self's
 * counts.
 */
typedef size_t (*store_sessions_fn)(void *arg, struct store_host_sessions *out,
    size_t max, unsigned *lease, uint64_t *seq, struct store_node *self);
typedef void (*store_node_fn)(const struct store_node *node, void *arg);

struct store_host {
	struct rule_state state[DETECTOR_COUNT];
};

#define STORE_NOTE_NODE_MAX	64
#define STORE_NOTE_REASON_MAX	256

/* Bytes, NUL-terminated; the reason may hold any other byte. */
struct store_note {
	int64_t set_at;				/* Unix seconds */
	char node[STORE_NOTE_NODE_MAX];		/* host name of the node */
	char reason[STORE_NOTE_REASON_MAX];	/* "" for none */
};

typedef int (*store_block_fn)(const struct host_key *key,
    const struct store_host *host, void *arg);

struct store;

struct store_ops {
	const char *name;
	struct store *(*open)(const struct config *cfg, char *err, size_t errlen);
	int (*record)(struct store *store, const struct store_event *event,
	    struct store_result *result);
	int (*lookup)(struct store *store, const struct host_key *key,
	    struct store_host *out);
	int (*block)(struct store *store, const struct host_key *key,
	    enum detector detector, int64_t until, int64_t now);
	int (*unblock)(struct store *store, const struct host_key *key);
	int (*list_blocks)(struct store *store, int64_t now, store_block_fn fn,
	    void *arg);
	const char *(*error)(struct store *store);
	void (*close)(struct store *store);
	int (*degraded)(struct store *store);	/* optional */
	int (*set_note)(struct store *store, const struct host_key *key,
	    const struct store_note *note, int64_t until, int64_t now);
	int (*get_note)(struct store *store, const struct host_key *key,
	    struct store_note *out);		/* optional, both */
	struct store_known *(*known)(struct store *store);	/* optional */
	int (*session_release)(struct store *store, const struct host_key *key,
	    unsigned lease);			/* optional, both */
	void (*set_sessions_source)(struct store *store, store_sessions_fn fn,
	    void *arg);
	int (*list_nodes)(struct store *store, store_node_fn fn, void *arg);
	int (*get_node)(struct store *store, const struct host_key *key,
	    enum detector detector, char *node, size_t len);	/* optional */
	void (*tick)(struct store *store, int64_t now);	/* optional */
};

/* Every backend's handle starts with this. */
struct store {
	const struct store_ops *ops;
};

/* Open the backend named cfg->store; NULL with a reason in err. */
struct store *store_open(const struct config *cfg, char *err, size_t errlen);

/*
 * Apply one event to a host's states and its networks' states (nets[i]
 * for n->keys[i], n from store_event_nets(); n NULL: none), in place
 * (DESIGN.md semantics, the networks as hosts of their own):
 *  1. blocks: at CONNECT every detector's block of the host and of each
 *     of its networks is checked (each sliding one is extended); else the
 *     counted detector's network block.  A block refuses the event and
 *     nothing is counted; of several, the result names the one that ends
 *     last (the host's on a tie).
 *  2. the counted detector's rule runs on the host (rule_count_valid()
 *     for a valid event); unless the host was refused, the event counts
 *     for the detector's network too.  A network block that starts is
 *     what the result names (it refuses the host as well), else the
 *     host's.
 */
void store_apply_event(const struct store_event *event,
    const struct store_nets *n, struct store_host *host,
    struct store_host *nets, struct store_result *result);

/* The distinct networks an event counts or checks, with their rules. */
void store_event_nets(const struct store_event *event, struct store_nets *out);

/* The key whose block a result names: its network's, or the host's. */
static inline const struct host_key *store_result_key(
    const struct store_event *event, const struct store_result *result)
{
	return result->network ? &result->network_key : &event->key;
}

const char *store_decider_name(enum store_decider decider);

static inline int store_record(struct store *store,
    const struct store_event *event, struct store_result *result)
{
	return store->ops->record(store, event, result);
}

static inline int store_lookup(struct store *store, const struct host_key *key,
    struct store_host *out)
{
	return store->ops->lookup(store, key, out);
}

static inline int store_block(struct store *store, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now)
{
	return store->ops->block(store, key, detector, until, now);
}

static inline int store_unblock(struct store *store, const struct host_key *key)
{
	return store->ops->unblock(store, key);
}

static inline int store_list_blocks(struct store *store, int64_t now,
    store_block_fn fn, void *arg)
{
	return store->ops->list_blocks(store, now, fn, arg);
}

static inline const char *store_error(struct store *store)
{
	return store->ops->error(store);
}

static inline int store_degraded(struct store *store)
{
	return store->ops->degraded != NULL ? store->ops->degraded(store) : 0;
}

static inline int store_set_note(struct store *store,
    const struct host_key *key, const struct store_note *note,
    int64_t until, int64_t now)
{
	return store->ops->set_note != NULL ?
	    store->ops->set_note(store, key, note, until, now) : 0;
}

static inline int store_get_note(struct store *store,
    const struct host_key *key, struct store_note *out)
{
	return store->ops->get_note != NULL ?
	    store->ops->get_note(store, key, out) : 0;
}

static inline struct store_known *store_known(struct store *store)
{
	return store->ops->known != NULL ? store->ops->known(store) : NULL;
}

static inline int store_session_release(struct store *store,
    const struct host_key *key, unsigned lease)
{
	return store->ops->session_release != NULL ?
	    store->ops->session_release(store, key, lease) : 0;
}

static inline void store_set_sessions_source(struct store *store,
    store_sessions_fn fn, void *arg)
{
	if (store->ops->set_sessions_source != NULL)
		store->ops->set_sessions_source(store, fn, arg);
}

/* -1 with no node listed when the store does not share summaries. */
static inline int store_list_nodes(struct store *store, store_node_fn fn,
    void *arg)
{
	return store->ops->list_nodes != NULL ?
	    store->ops->list_nodes(store, fn, arg) : -1;
}

static inline int store_get_node(struct store *store,
    const struct host_key *key, enum detector detector, char *node,
    size_t len)
{
	return store->ops->get_node != NULL ?
	    store->ops->get_node(store, key, detector, node, len) : 0;
}

static inline void store_tick(struct store *store, int64_t now)
{
	if (store->ops->tick != NULL)
		store->ops->tick(store, now);
}

void store_close(struct store *store);

extern const struct store_ops store_memory_ops;
extern const struct store_ops store_redis_ops;

#endif
