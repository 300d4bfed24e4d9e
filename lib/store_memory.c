/*
 * store_memory.c - the embedded store: per-host state kept in this
 * process, for a single node.  Exports store_memory_ops ("memory").
 *
 * Hosts are spread over up to 64 shards by host_key_hash() with a seed
 * drawn at open (clients choose their addresses, so the hash is keyed).
 * Each shard has its own lock, a chained hash table and an LRU list, so
 * every operation costs O(1) whatever the number of hosts, and threads
 * working on different hosts rarely wait for each other.  A shard is
 * given at least 64 hosts: a store with memory_max_hosts below 128 is a
 * single shard with an exact LRU order.
 *
 * Bounds: the shards' capacities add up to memory_max_hosts exactly, so
 * no more hosts are ever kept.  A full shard reuses one of the least
 * recently used entries, preferring one whose state has expired; when
 * they are all live the oldest is evicted anyway (its counts and blocks
 * are forgotten).  Evictions mean max_hosts is too small and are logged
 * at the 1st, 2nd, 4th, 8th ... eviction of each shard.
 *
 * Expiry: each entry keeps the time after which its state carries
 * nothing (rule_host_expiry() with the rules of its last event, and
 * never before the end of a block set with block()).  An expired entry
 * counts as unknown.  Every record() and block() that reaches a shard (a
 * CONNECT the record of blocks refuses does not, see below) also sweeps
 * two slots of it and frees the expired ones, so stale state does not linger
 * until the shard fills; an event that leaves nothing to remember stores
 * nothing.
 *
 * lookup() and unblock() have no clock: lookup() returns the state as
 * stored (zeroed for an unknown host, or one the sweep has freed); the
 * caller judges it against its own time.
 *
 * list_blocks() copies one shard's blocked hosts under its lock and calls
 * fn without any lock held, so fn may call the store and may be slow.
 *
 * Memory: 164 bytes per host (key, four rule states packed as struct
 * memory_state, expiry, three 32-bit links) plus 4 to 8 bytes of hash
 * buckets.  A shard's arrays
 * grow by doubling up to its capacity and are only released by close().
 *
 * Notes on manual blocks live apart from the shards, in the small table
 * of store_memory_notes.c; unblock() drops the host's note with its
 * state.
 *
 * A flood from a blocked host costs no log line per refusal: a block, once
 * it has refused an event (logged in full), is kept in a record of blocks
 * (store_known.h) too, which answers the CONNECTs it refuses before any
 * shard is looked at and counts them for a summary line; tick() has the
 * record log those.  A block set anew (block()) leaves the record until
 * it refuses again.
 *
 * Nothing here fails: error() has nothing to report.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "rule_host.h"
#include "store_known.h"
#include "store_memory_notes.h"
#include "store.h"
#include "xalloc.h"

#define MEMORY_SHARDS_MAX	64
#define MEMORY_SHARD_HOSTS_MIN	64	/* below this per shard, use fewer shards */
#define MEMORY_SLOTS_MIN	8	/* first allocation of a shard */
#define MEMORY_SWEEP_STEP	2	/* slots visited by the sweep per operation */
#define MEMORY_TAIL_SCAN	4	/* LRU entries searched for an expired one */
#define MEMORY_NIL		UINT32_MAX

/*
 * A rule_state as an entry keeps it: times in Unix seconds on 32 bits
 * (up to 2106; a later one is kept as the last second of 2106), the
 * level in a byte (it never exceeds RULE_LEVEL_MAX).
 */
struct memory_state {
	uint32_t count;
	uint32_t valid;
	uint32_t threshold;
	uint32_t period;
	uint32_t block_length;
	uint32_t window_start;
	uint32_t block_until;
	uint8_t level;
};

struct memory_entry {
	struct host_key key;		/* family 0: a free slot */
	uint32_t chain;			/* next in bucket, or next free slot */
	uint32_t newer;			/* LRU neighbours */
	uint32_t older;
	uint32_t expiry;		/* state carries nothing from here on */
	struct memory_state state[DETECTOR_COUNT];
};

_Static_assert(sizeof(struct memory_entry) <= 164, "an entry grew");

struct memory_shard {
	pthread_mutex_t lock;
	struct memory_entry *slots;	/* slots[0..nused) have been handed out */
	uint32_t *buckets;		/* heads of the chains */
	uint32_t nbuckets;		/* a power of two, >= nslots */
	uint32_t nslots;		/* allocated */
	uint32_t nused;
	uint32_t capacity;		/* hosts this shard may keep */
	uint32_t free_head;
	uint32_t lru_head;		/* most recently used */
	uint32_t lru_tail;
	uint32_t sweep;			/* next slot the sweep visits */
	uint64_t evictions;		/* live entries dropped because full */
};

struct memory_store {
	struct store base;
	uint64_t seed;
	unsigned max_hosts;
	unsigned nshards;
	struct memory_shard *shards;
	struct memory_notes *notes;
	struct store_known *known;	/* blocks, for refusals' summaries */
};

static uint32_t memory_time32(int64_t t)
{
	return t <= 0 ? 0 : t >= UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* An entry's states as the rules see them. */
static void memory_unpack(const struct memory_entry *e, struct store_host *out)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct memory_state *m = &e->state[d];

		out->state[d] = (struct rule_state){ .count = m->count,
		    .valid = m->valid, .level = m->level,
		    .threshold = m->threshold, .period = m->period,
		    .block_length = m->block_length,
		    .window_start = m->window_start,
		    .block_until = m->block_until };
	}
}

static void memory_pack(const struct store_host *host, struct memory_entry *e)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct rule_state *st = &host->state[d];

		e->state[d] = (struct memory_state){ .count = st->count,
		    .valid = st->valid,
		    .level = (uint8_t)(st->level < RULE_LEVEL_MAX ?
		    st->level : RULE_LEVEL_MAX),
		    .threshold = st->threshold, .period = st->period,
		    .block_length = st->block_length,
		    .window_start = memory_time32(st->window_start),
		    .block_until = memory_time32(st->block_until) };
	}
}

/* One host's place in the store, held with its shard locked. */
struct memory_ref {
	struct memory_store *store;
	struct memory_shard *shard;
	const struct host_key *key;
	uint64_t hash;
	uint32_t slot;			/* MEMORY_NIL: the host is not stored */
};

/* A blocked host copied out by list_blocks(). */
struct memory_blocked {
	struct host_key key;
	struct store_host host;
};

struct memory_listing {
	struct memory_blocked *items;
	size_t count;
	size_t size;
};

static inline struct memory_store *memory_of(struct store *store)
{
	return (struct memory_store *)store;
}

static inline uint64_t memory_hash(const struct memory_store *store,
    const struct host_key *key)
{
	return host_key_hash(key, store->seed);
}

static inline uint32_t memory_bucket(const struct memory_shard *shard,
    uint64_t hash)
{
	/* Low bits pick the bucket; the shard was picked by the high bits. */
	return (uint32_t)hash & (shard->nbuckets - 1);
}

static inline struct memory_shard *memory_shard_of(
    const struct memory_store *store, uint64_t hash)
{
	return &store->shards[((hash >> 32) * store->nshards) >> 32];
}

static void memory_chain_link(struct memory_shard *shard, uint32_t slot,
    uint64_t hash)
{
	uint32_t *head = &shard->buckets[memory_bucket(shard, hash)];

	shard->slots[slot].chain = *head;
	*head = slot;
}

static void memory_chain_unlink(struct memory_shard *shard, uint32_t slot,
    uint64_t hash)
{
	uint32_t *link = &shard->buckets[memory_bucket(shard, hash)];

	while (*link != slot)
		link = &shard->slots[*link].chain;
	*link = shard->slots[slot].chain;
}

static void memory_lru_unlink(struct memory_shard *shard, uint32_t slot)
{
	struct memory_entry *e = &shard->slots[slot];

	if (e->newer != MEMORY_NIL)
		shard->slots[e->newer].older = e->older;
	else
		shard->lru_head = e->older;
	if (e->older != MEMORY_NIL)
		shard->slots[e->older].newer = e->newer;
	else
		shard->lru_tail = e->newer;
}

static void memory_lru_push(struct memory_shard *shard, uint32_t slot)
{
	struct memory_entry *e = &shard->slots[slot];

	e->newer = MEMORY_NIL;
	e->older = shard->lru_head;
	if (shard->lru_head != MEMORY_NIL)
		shard->slots[shard->lru_head].newer = slot;
	else
		shard->lru_tail = slot;
	shard->lru_head = slot;
}

static void memory_release(const struct memory_store *store,
    struct memory_shard *shard, uint32_t slot)
{
	struct memory_entry *e = &shard->slots[slot];

	memory_chain_unlink(shard, slot, memory_hash(store, &e->key));
	memory_lru_unlink(shard, slot);
	e->key.family = 0;
	e->chain = shard->free_head;
	shard->free_head = slot;
}

static void memory_rehash(const struct memory_store *store,
    struct memory_shard *shard)
{
	uint32_t n = shard->nbuckets;

	while (n < shard->nslots)
		n *= 2;
	free(shard->buckets);
	shard->buckets = xrealloc(NULL, n, sizeof(*shard->buckets));
	memset(shard->buckets, 0xff, n * sizeof(*shard->buckets));
	shard->nbuckets = n;
	for (uint32_t i = 0; i < shard->nused; i++) {
		if (shard->slots[i].key.family != 0)
			memory_chain_link(shard, i,
			    memory_hash(store, &shard->slots[i].key));
	}
}

static void memory_grow(const struct memory_store *store,
    struct memory_shard *shard)
{
	uint32_t n = shard->nslots > shard->capacity / 2 ?
	    shard->capacity : shard->nslots * 2;

	shard->slots = xrealloc(shard->slots, n, sizeof(*shard->slots));
	shard->nslots = n;
	/* Keep at most one entry per bucket on average. */
	if (n > shard->nbuckets)
		memory_rehash(store, shard);
}

static void memory_count_eviction(const struct memory_store *store,
    struct memory_shard *shard)
{
	uint64_t n = ++shard->evictions;

	if ((n & (n - 1)) == 0)
		log_warning("event=store-evict store=memory max_hosts=%u "
		    "shard_evictions=%llu reason=full", store->max_hosts,
		    (unsigned long long)n);
}

static uint32_t memory_victim(const struct memory_shard *shard, int64_t now)
{
	uint32_t slot = shard->lru_tail;

	for (unsigned n = 0; n < MEMORY_TAIL_SCAN && slot != MEMORY_NIL; n++) {
		if (shard->slots[slot].expiry <= now)
			return slot;
		slot = shard->slots[slot].newer;
	}
	return shard->lru_tail;
}

/* A slot for a new host: a free one, a new one, or one taken back. */
static uint32_t memory_take(const struct memory_store *store,
    struct memory_shard *shard, int64_t now)
{
	uint32_t slot;

	if (shard->free_head == MEMORY_NIL && shard->nused == shard->capacity) {
		slot = memory_victim(shard, now);
		if (shard->slots[slot].expiry > now)
			memory_count_eviction(store, shard);
		memory_release(store, shard, slot);
	}
	if (shard->free_head != MEMORY_NIL) {
		slot = shard->free_head;
		shard->free_head = shard->slots[slot].chain;
		return slot;
	}
	if (shard->nused == shard->nslots)
		memory_grow(store, shard);
	return shard->nused++;
}

static void memory_sweep(const struct memory_store *store,
    struct memory_shard *shard, int64_t now)
{
	for (unsigned n = 0; n < MEMORY_SWEEP_STEP && shard->nused > 0; n++) {
		struct memory_entry *e;

		if (shard->sweep >= shard->nused)
			shard->sweep = 0;
		e = &shard->slots[shard->sweep];
		if (e->key.family != 0 && e->expiry <= now)
			memory_release(store, shard, shard->sweep);
		shard->sweep++;
	}
}

static uint32_t memory_find(const struct memory_shard *shard,
    const struct host_key *key, uint64_t hash)
{
	uint32_t slot = shard->buckets[memory_bucket(shard, hash)];

	while (slot != MEMORY_NIL && !host_key_equal(&shard->slots[slot].key, key))
		slot = shard->slots[slot].chain;
	return slot;
}

/* Lock key's shard and find it; now is 0 when the caller has no clock. */
static void memory_enter(struct memory_store *store, const struct host_key *key,
    int64_t now, struct memory_ref *ref)
{
	ref->store = store;
	ref->key = key;
	ref->hash = memory_hash(store, key);
	ref->shard = memory_shard_of(store, ref->hash);
	pthread_mutex_lock(&ref->shard->lock);
	if (now > 0)
		memory_sweep(store, ref->shard, now);
	ref->slot = memory_find(ref->shard, key, ref->hash);
}

static void memory_leave(struct memory_ref *ref)
{
	pthread_mutex_unlock(&ref->shard->lock);
}

/* Copy the host's live state into out; return its expiry (0: none). */
static int64_t memory_load(const struct memory_ref *ref, int64_t now,
    struct store_host *out)
{
	const struct memory_entry *e;

	if (ref->slot != MEMORY_NIL) {
		e = &ref->shard->slots[ref->slot];
		if (e->expiry > now) {
			memory_unpack(e, out);
			return e->expiry;
		}
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

/* Store the host's new state, or forget it when it carries nothing. */
static void memory_save(struct memory_ref *ref, const struct store_host *host,
    int64_t expiry, int64_t now)
{
	struct memory_shard *shard = ref->shard;
	struct memory_entry *e;

	if (expiry <= now) {
		if (ref->slot != MEMORY_NIL)
			memory_release(ref->store, shard, ref->slot);
		return;
	}
	if (ref->slot == MEMORY_NIL) {
		ref->slot = memory_take(ref->store, shard, now);
		shard->slots[ref->slot].key = *ref->key;
		memory_chain_link(shard, ref->slot, ref->hash);
	} else {
		memory_lru_unlink(shard, ref->slot);
	}
	memory_lru_push(shard, ref->slot);
	e = &shard->slots[ref->slot];
	memory_pack(host, e);
	e->expiry = memory_time32(expiry);
}

/* Add shard to the n of shards (kept in address order) unless there. */
static unsigned memory_add_shard(struct memory_shard **shards, unsigned n,
    struct memory_shard *shard)
{
	unsigned j = n;

	for (unsigned i = 0; i < n; i++) {
		if (shards[i] == shard)
			return n;
	}
	for (; j > 0 && shards[j - 1] > shard; j--)
		shards[j] = shards[j - 1];
	shards[j] = shard;
	return n + 1;
}

/*
 * An event with networks: the host's and its networks' shards locked at
 * once (in address order, each once), so the event is applied to them
 * all atomically.  A save may take back a slot of the same shard (a full
 * shard reuses its oldest), so each key is found again before its save.
 */
static void memory_record_nets(struct memory_store *store,
    const struct store_event *event, const struct store_nets *n,
    struct store_result *result)
{
	struct memory_ref refs[1 + DETECTOR_COUNT];
	struct store_host states[1 + DETECTOR_COUNT];
	struct memory_shard *shards[1 + DETECTOR_COUNT];
	unsigned count = 1 + n->count, nshards = 0;

	for (unsigned i = 0; i < count; i++) {
		struct memory_ref *ref = &refs[i];

		ref->store = store;
		ref->key = i == 0 ? &event->key : &n->keys[i - 1];
		ref->hash = memory_hash(store, ref->key);
		ref->shard = memory_shard_of(store, ref->hash);
		nshards = memory_add_shard(shards, nshards, ref->shard);
	}
	for (unsigned j = 0; j < nshards; j++) {
		pthread_mutex_lock(&shards[j]->lock);
		memory_sweep(store, shards[j], event->now);
	}
	for (unsigned i = 0; i < count; i++) {
		refs[i].slot = memory_find(refs[i].shard, refs[i].key, refs[i].hash);
		memory_load(&refs[i], event->now, &states[i]);
	}
	store_apply_event(event, n, &states[0], &states[1], result);
	for (unsigned i = 0; i < count; i++) {
		const struct rule *rules = i == 0 ? event->rules : n->rules[i - 1];

		refs[i].slot = memory_find(refs[i].shard, refs[i].key, refs[i].hash);
		memory_save(&refs[i], &states[i],
		    rule_host_expiry(rules, states[i].state), event->now);
	}
	for (unsigned j = nshards; j > 0; j--)
		pthread_mutex_unlock(&shards[j - 1]->lock);
}

static int memory_record(struct store *base, const struct store_event *event,
    struct store_result *result)
{
	struct memory_store *store = memory_of(base);
	struct memory_ref ref;
	struct store_host host;
	struct store_nets n = { .count = 0 };

	if (event->net_rules != NULL)
		store_event_nets(event, &n);
	if (event->connect && store_known_refuses_event(store->known, event, &n,
	    result))
		return 0;
	if (n.count > 0) {
		memory_record_nets(store, event, &n, result);
	} else {
		memory_enter(store, &event->key, event->now, &ref);
		memory_load(&ref, event->now, &host);
		store_apply_event(event, NULL, &host, NULL, result);
		memory_save(&ref, &host, rule_host_expiry(event->rules,
		    host.state), event->now);
		memory_leave(&ref);
	}
	/* The first refusal of a block is logged in full: recorded after. */
	if (result->outcome == RULE_REFUSED)
		store_known_note_result(store->known, event, result);
	return 0;
}

static int memory_lookup(struct store *base, const struct host_key *key,
    struct store_host *out)
{
	struct memory_ref ref;

	memory_enter(memory_of(base), key, 0, &ref);
	if (ref.slot != MEMORY_NIL)
		memory_unpack(&ref.shard->slots[ref.slot], out);
	else
		memset(out, 0, sizeof(*out));
	memory_leave(&ref);
	return 0;
}

static int memory_block(struct store *base, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now)
{
	struct memory_ref ref;
	struct store_host host;
	int64_t expiry;

	memory_enter(memory_of(base), key, now, &ref);
	expiry = memory_load(&ref, now, &host);
	rule_host_set_block(host.state, detector, until, now);
	memory_save(&ref, &host, until > expiry ? until : expiry, now);
	memory_leave(&ref);
	store_known_clear(memory_of(base)->known, key);
	return 0;
}

static int memory_set_note(struct store *base, const struct host_key *key,
    const struct store_note *note, int64_t until, int64_t now)
{
	memory_notes_set(memory_of(base)->notes, key, note, until, now);
	return 0;
}

static int memory_get_note(struct store *base, const struct host_key *key,
    struct store_note *out)
{
	return memory_notes_get(memory_of(base)->notes, key, out);
}

static int memory_unblock(struct store *base, const struct host_key *key)
{
	struct memory_ref ref;

	memory_enter(memory_of(base), key, 0, &ref);
	if (ref.slot != MEMORY_NIL)
		memory_release(ref.store, ref.shard, ref.slot);
	memory_leave(&ref);
	memory_notes_forget(memory_of(base)->notes, key);
	store_known_clear(memory_of(base)->known, key);
	return 0;
}

static void memory_tick(struct store *base, int64_t now)
{
	store_known_sweep(memory_of(base)->known, now);
}

static void memory_collect(struct memory_shard *shard, int64_t now,
    struct memory_listing *list)
{
	list->count = 0;
	pthread_mutex_lock(&shard->lock);
	for (uint32_t i = 0; i < shard->nused; i++) {
		const struct memory_entry *e = &shard->slots[i];
		struct store_host host;

		if (e->key.family == 0)
			continue;
		memory_unpack(e, &host);
		if (!rule_host_blocked(host.state, now, NULL))
			continue;
		if (list->count == list->size) {
			list->size = list->size ? list->size * 2 : 16;
			list->items = xrealloc(list->items, list->size,
			    sizeof(*list->items));
		}
		list->items[list->count].key = e->key;
		list->items[list->count++].host = host;
	}
	pthread_mutex_unlock(&shard->lock);
}

static int memory_list_blocks(struct store *base, int64_t now,
    store_block_fn fn, void *arg)
{
	struct memory_store *store = memory_of(base);
	struct memory_listing list = { NULL, 0, 0 };
	int stop = 0;

	for (unsigned s = 0; s < store->nshards && !stop; s++) {
		memory_collect(&store->shards[s], now, &list);
		for (size_t i = 0; i < list.count && !stop; i++)
			stop = fn(&list.items[i].key, &list.items[i].host, arg);
	}
	free(list.items);
	return 0;
}

static const char *memory_error(struct store *base)
{
	return "no error";
}

static void memory_shard_init(struct memory_shard *shard, uint32_t capacity)
{
	pthread_mutex_init(&shard->lock, NULL);
	shard->capacity = capacity;
	shard->nslots = capacity < MEMORY_SLOTS_MIN ? capacity : MEMORY_SLOTS_MIN;
	shard->slots = xcalloc(shard->nslots, sizeof(*shard->slots));
	shard->nbuckets = 1;
	while (shard->nbuckets < shard->nslots)
		shard->nbuckets *= 2;
	shard->buckets = xrealloc(NULL, shard->nbuckets, sizeof(*shard->buckets));
	memset(shard->buckets, 0xff, shard->nbuckets * sizeof(*shard->buckets));
	shard->free_head = MEMORY_NIL;
	shard->lru_head = MEMORY_NIL;
	shard->lru_tail = MEMORY_NIL;
}

static unsigned memory_shard_count(unsigned max_hosts)
{
	unsigned n = max_hosts / MEMORY_SHARD_HOSTS_MIN;

	if (n < 1)
		return 1;
	return n > MEMORY_SHARDS_MAX ? MEMORY_SHARDS_MAX : n;
}

static struct store *memory_open(const struct config *cfg, char *err,
    size_t errlen)
{
	struct memory_store *store;
	unsigned max = cfg->memory_max_hosts;

	if (max == 0) {
		snprintf(err, errlen, "memory_max_hosts must be at least 1");
		return NULL;
	}
	store = xcalloc(1, sizeof(*store));
	store->base.ops = &store_memory_ops;
	store->seed = host_key_seed();
	store->max_hosts = max;
	store->nshards = memory_shard_count(max);
	store->shards = xcalloc(store->nshards, sizeof(*store->shards));
	store->notes = memory_notes_new();
	store->known = store_known_new(max);
	/* Share max out exactly: the first max % nshards shards get one more. */
	for (unsigned s = 0; s < store->nshards; s++)
		memory_shard_init(&store->shards[s], max / store->nshards +
		    (s < max % store->nshards));
	return &store->base;
}

static void memory_close(struct store *base)
{
	struct memory_store *store = memory_of(base);

	for (unsigned s = 0; s < store->nshards; s++) {
		pthread_mutex_destroy(&store->shards[s].lock);
		free(store->shards[s].slots);
		free(store->shards[s].buckets);
	}
	free(store->shards);
	memory_notes_free(store->notes);
	store_known_free(store->known);
	free(store);
}

const struct store_ops store_memory_ops = {
	.name = "memory",
	.open = memory_open,
	.record = memory_record,
	.lookup = memory_lookup,
	.block = memory_block,
	.unblock = memory_unblock,
	.list_blocks = memory_list_blocks,
	.error = memory_error,
	.close = memory_close,
	.set_note = memory_set_note,
	.get_note = memory_get_note,
	.tick = memory_tick,
};
