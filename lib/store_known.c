/*
 * store_known.c - the node's record of known blocks.  See store_known.h.
 *
 * Hosts hash into STORE_KNOWN_SHARDS shards, each a chained table of
 * STORE_KNOWN_BUCKETS buckets under its own mutex; an atomic count of
 * the hosts held lets a lookup return at once, lock-free, while nothing
 * is blocked (the common case).  Per detector an entry keeps the block's
 * end and start, and the refusals served from the record since its last
 * summary line.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "log.h"
#include "store.h"
#include "store_known.h"
#include "store_known_quiet.h"
#include "xalloc.h"

#define STORE_KNOWN_SHARDS	64
#define STORE_KNOWN_BUCKETS	256
#define STORE_KNOWN_SEED	0x6b6e6f776eULL

struct known_block {
	int64_t until;			/* 0: none */
	int64_t start;			/* 0: unknown */
	uint32_t count;			/* that tripped it; 0: unknown */
	bool pending;			/* not in the shared store yet */
	uint32_t level;			/* escalation level, 0: unknown */
	uint64_t refused;		/* served from the record, not yet logged */
	int64_t refused_since;		/* first of those */
};

struct known_entry {
	struct host_key key;
	uint64_t stamp;			/* the record's generation when last set */
	struct known_block block[DETECTOR_COUNT];
	struct known_entry *next;
};

struct known_shard {
	pthread_mutex_t lock;
	struct known_entry *bucket[STORE_KNOWN_BUCKETS];
};

struct store_known {
	struct known_shard shard[STORE_KNOWN_SHARDS];
	atomic_size_t count;
	atomic_uint_fast64_t generation;	/* bumped by each reload */
	size_t max;
	struct store_known_quiet *quiet;	/* the node's recent unblocks */
	pthread_mutex_t hook_lock;	/* guards what follows */
	store_known_hook_fn *hook;
	void *hook_arg;
};

struct store_known *store_known_new(size_t max_entries)
{
	struct store_known *k = xcalloc(1, sizeof(*k));

	for (size_t i = 0; i < STORE_KNOWN_SHARDS; i++)
		pthread_mutex_init(&k->shard[i].lock, NULL);
	pthread_mutex_init(&k->hook_lock, NULL);
	k->max = max_entries;
	k->quiet = store_known_quiet_new();
	return k;
}

void store_known_free(struct store_known *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < STORE_KNOWN_SHARDS; i++) {
		for (size_t b = 0; b < STORE_KNOWN_BUCKETS; b++) {
			struct known_entry *e = k->shard[i].bucket[b], *next;

			for (; e != NULL; e = next) {
				next = e->next;
				free(e);
			}
		}
		pthread_mutex_destroy(&k->shard[i].lock);
	}
	pthread_mutex_destroy(&k->hook_lock);
	store_known_quiet_free(k->quiet);
	free(k);
}

void store_known_set_hook(struct store_known *k, store_known_hook_fn *fn,
    void *arg)
{
	pthread_mutex_lock(&k->hook_lock);
	k->hook = fn;
	k->hook_arg = arg;
	pthread_mutex_unlock(&k->hook_lock);
}

/* Tell the hook, if any; its lock held, so a hook never runs unset. */
static void known_tell(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until)
{
	pthread_mutex_lock(&k->hook_lock);
	if (k->hook != NULL)
		k->hook(k->hook_arg, key, detector, until);
	pthread_mutex_unlock(&k->hook_lock);
}

/* The shard of key, locked, and its bucket. */
static struct known_entry **known_bucket(struct store_known *k,
    const struct host_key *key, struct known_shard **shard)
{
	uint64_t h = host_key_hash(key, STORE_KNOWN_SEED);

	*shard = &k->shard[h % STORE_KNOWN_SHARDS];
	pthread_mutex_lock(&(*shard)->lock);
	return &(*shard)->bucket[(h / STORE_KNOWN_SHARDS) % STORE_KNOWN_BUCKETS];
}

static struct known_entry *known_find(struct known_entry **bucket,
    const struct host_key *key)
{
	for (struct known_entry *e = *bucket; e != NULL; e = e->next) {
		if (host_key_equal(&e->key, key))
			return e;
	}
	return NULL;
}

static void known_summary(const struct known_entry *e, enum detector d,
    struct known_block *b, const char *why)
{
	char host[ADDR_TEXT_MAX], since[ISOTIME_MAX], until[ISOTIME_MAX];

	if (b->refused == 0)
		return;
	host_key_format(&e->key, host, sizeof(host));
	isotime_format(b->refused_since, since, sizeof(since));
	isotime_format(b->until, until, sizeof(until));
	log_info("event=refuse-summary detector=%s host=%s refused=%llu "
	    "since=%s until=%s%s", detector_name(d), host,
	    (unsigned long long)b->refused, since, until, why);
	b->refused = 0;
}

static void known_put(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count,
    bool pending)
{
	struct known_shard *shard;
	struct known_entry **bucket = known_bucket(k, key, &shard);
	struct known_entry *e = known_find(bucket, key);

	if (e == NULL && atomic_load(&k->count) < k->max) {
		e = xcalloc(1, sizeof(*e));
		e->key = *key;
		e->next = *bucket;
		*bucket = e;
		atomic_fetch_add(&k->count, 1);
	}
	if (e != NULL) {
		e->stamp = atomic_load(&k->generation);
		e->block[detector].until = until;
		if (start != 0)
			e->block[detector].start = start;
		if (count != 0)
			e->block[detector].count = count;
		e->block[detector].pending = pending;
	}
	pthread_mutex_unlock(&shard->lock);
}

void store_known_set(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count)
{
	known_put(k, key, detector, until, start, count, false);
}

void store_known_hold(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count)
{
	known_put(k, key, detector, until, start, count, true);
}

void store_known_set_level(struct store_known *k, const struct host_key *key,
    enum detector detector, uint32_t level)
{
	struct known_shard *shard;
	struct known_entry *e = known_find(known_bucket(k, key, &shard), key);

	if (e != NULL)
		e->block[detector].level = level;
	pthread_mutex_unlock(&shard->lock);
}

/* Forget every block of key. */
static void known_remove(struct store_known *k, const struct host_key *key)
{
	struct known_shard *shard;
	struct known_entry **p = known_bucket(k, key, &shard);
	struct known_entry *e = NULL;

	for (; *p != NULL; p = &(*p)->next) {
		if (host_key_equal(&(*p)->key, key)) {
			e = *p;
			*p = e->next;
			atomic_fetch_sub(&k->count, 1);
			break;
		}
	}
	pthread_mutex_unlock(&shard->lock);
	if (e == NULL)
		return;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		known_summary(e, (enum detector)d, &e->block[d], " lifted=yes");
	free(e);
}

void store_known_clear(struct store_known *k, const struct host_key *key)
{
	known_remove(k, key);
	store_known_quiet_add(k->quiet, key);
}

void store_known_learn(struct store_known *k, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count)
{
	if (store_known_quiet_holds(k->quiet, key))
		return;
	store_known_set(k, key, detector, until, start, count);
	known_tell(k, key, detector, until);
}

void store_known_forget(struct store_known *k, const struct host_key *key)
{
	store_known_quiet_drop(k->quiet, key);
	known_remove(k, key);
	known_tell(k, key, DETECTOR_COUNT, 0);
}

/* Count one refusal served from the record. */
static void known_refused(struct known_block *b, int64_t now)
{
	if (b->refused++ == 0)
		b->refused_since = now;
}

/*
 * The detector whose block refuses the host, ending last; DETECTOR_COUNT
 * for none.  With extend, sliding blocks move on as store_apply_event()
 * moves them; without, a sliding block found makes *sliding true.
 */
static enum detector known_check(struct known_entry *e,
    const struct rule *rules, int64_t now, bool extend, bool *sliding)
{
	enum detector latest = DETECTOR_COUNT;

	*sliding = false;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct known_block *b = &e->block[d];

		if (!rules[d].enabled || b->until <= now)
			continue;
		if (rules[d].sliding) {
			*sliding = true;
			if (!extend)
				continue;
			b->until = now + rules[d].block;
		}
		if (latest == DETECTOR_COUNT || b->until > e->block[latest].until)
			latest = (enum detector)d;
	}
	return latest;
}

/*
 * The block refusing at now under keys[i] judged by rules[i], i < count:
 * the one ending last (the first key's on a tie), in hit and *which.
 * Without extend, none when one of them has a sliding block.  The
 * refusal is counted for that block's summary.
 */
static bool known_lookup(struct store_known *k, unsigned count,
    const struct host_key *const *keys, const struct rule *const *rules,
    int64_t now, bool extend, struct store_known_hit *hit, unsigned *which)
{
	struct known_shard *shard;
	struct known_entry *e;
	bool found = false;

	if (atomic_load_explicit(&k->count, memory_order_relaxed) == 0)
		return false;
	for (unsigned i = 0; i < count; i++) {
		enum detector d = DETECTOR_COUNT;
		bool sliding = false;

		if ((e = known_find(known_bucket(k, keys[i], &shard),
		    keys[i])) != NULL)
			d = known_check(e, rules[i], now, extend, &sliding);
		if (sliding && !extend) {
			pthread_mutex_unlock(&shard->lock);
			return false;
		}
		if (d != DETECTOR_COUNT &&
		    (!found || e->block[d].until > hit->until)) {
			found = true;
			*which = i;
			hit->detector = d;
			hit->until = e->block[d].until;
			hit->count = e->block[d].count;
			hit->level = e->block[d].level;
		}
		pthread_mutex_unlock(&shard->lock);
	}
	if (!found)
		return false;
	e = known_find(known_bucket(k, keys[*which], &shard), keys[*which]);
	if (e != NULL)
		known_refused(&e->block[hit->detector], now);
	pthread_mutex_unlock(&shard->lock);
	return true;
}

bool store_known_refuses(struct store_known *k, const struct host_key *key,
    const struct rule *rules, int64_t now, struct store_known_hit *hit)
{
	unsigned which;

	return known_lookup(k, 1, &key, &rules, now, false, hit, &which);
}

bool store_known_enforce(struct store_known *k, const struct host_key *key,
    const struct rule *rules, int64_t now, struct store_known_hit *hit)
{
	unsigned which;

	return known_lookup(k, 1, &key, &rules, now, true, hit, &which);
}

/* known_lookup() over an event's host and networks, into result. */
static bool known_lookup_event(struct store_known *k,
    const struct store_event *event, const struct store_nets *n, bool extend,
    struct store_result *result)
{
	const struct host_key *keys[1 + DETECTOR_COUNT] = { &event->key };
	const struct rule *rules[1 + DETECTOR_COUNT] = { event->rules };
	struct store_known_hit hit;
	unsigned which;

	for (unsigned i = 0; i < n->count; i++) {
		keys[1 + i] = &n->keys[i];
		rules[1 + i] = n->rules[i];
	}
	if (!known_lookup(k, 1 + n->count, keys, rules, event->now, extend,
	    &hit, &which))
		return false;
	store_known_result(&hit, result);
	if (which > 0) {
		result->network = true;
		result->network_key = n->keys[which - 1];
	}
	return true;
}

bool store_known_refuses_event(struct store_known *k,
    const struct store_event *event, const struct store_nets *n,
    struct store_result *result)
{
	return known_lookup_event(k, event, n, false, result);
}

bool store_known_enforce_event(struct store_known *k,
    const struct store_event *event, const struct store_nets *n,
    struct store_result *result)
{
	return known_lookup_event(k, event, n, true, result);
}

struct known_copy {
	struct host_key key;
	enum detector detector;
	int64_t until;
	int64_t start;
	uint32_t count;
};

/*
 * Copy one shard's blocks active at now (only the pending ones, which
 * then are pending no more, with pending); grows *items.
 */
static void known_copy_shard(struct known_shard *shard, int64_t now,
    bool pending, struct known_copy **items, size_t *n, size_t *cap)
{
	pthread_mutex_lock(&shard->lock);
	for (size_t b = 0; b < STORE_KNOWN_BUCKETS; b++) {
		for (struct known_entry *e = shard->bucket[b]; e; e = e->next) {
			for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
				if (e->block[d].until <= now ||
				    (pending && !e->block[d].pending))
					continue;
				e->block[d].pending = false;
				if (*n == *cap) {
					*cap = *cap ? *cap * 2 : 64;
					*items = xrealloc(*items, *cap,
					    sizeof(**items));
				}
				(*items)[(*n)++] = (struct known_copy){ e->key,
				    (enum detector)d, e->block[d].until,
				    e->block[d].start, e->block[d].count };
			}
		}
	}
	pthread_mutex_unlock(&shard->lock);
}

static int known_each(struct store_known *k, int64_t now, bool pending,
    store_known_each_fn *fn, void *arg)
{
	struct known_copy *items = NULL;
	size_t n = 0, cap = 0, i;
	int stop = 0;

	for (i = 0; i < STORE_KNOWN_SHARDS; i++)
		known_copy_shard(&k->shard[i], now, pending, &items, &n, &cap);
	for (i = 0; i < n && (pending || !stop); i++) {
		int rc = fn(arg, &items[i].key, items[i].detector,
		    items[i].until, items[i].start);

		/* One that was not handed over is pending still. */
		if (rc != 0 && pending)
			store_known_hold(k, &items[i].key, items[i].detector,
			    items[i].until, 0, 0);
		stop = stop || rc != 0;
	}
	free(items);
	return stop;
}

int store_known_each(struct store_known *k, int64_t now,
    store_known_each_fn *fn, void *arg)
{
	return known_each(k, now, false, fn, arg);
}

int store_known_each_pending(struct store_known *k, int64_t now,
    store_known_each_fn *fn, void *arg)
{
	return known_each(k, now, true, fn, arg);
}

/* Summaries due in e; true when e carries nothing any more. */
static bool known_sweep_entry(struct known_entry *e, int64_t now)
{
	bool live = false;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct known_block *b = &e->block[d];

		if (b->until <= now)
			known_summary(e, (enum detector)d, b, " ended=yes");
		else if (b->refused > 0 &&
		    now - b->refused_since >= STORE_KNOWN_SUMMARY_S)
			known_summary(e, (enum detector)d, b, "");
		live = live || b->until > now;
	}
	return !live;
}

void store_known_sweep(struct store_known *k, int64_t now)
{
	for (size_t i = 0; i < STORE_KNOWN_SHARDS; i++) {
		struct known_shard *shard = &k->shard[i];

		pthread_mutex_lock(&shard->lock);
		for (size_t b = 0; b < STORE_KNOWN_BUCKETS; b++) {
			struct known_entry **p = &shard->bucket[b];

			while (*p != NULL) {
				struct known_entry *e = *p;

				if (!known_sweep_entry(e, now)) {
					p = &e->next;
					continue;
				}
				*p = e->next;
				atomic_fetch_sub(&k->count, 1);
				free(e);
			}
		}
		pthread_mutex_unlock(&shard->lock);
	}
}

uint64_t store_known_sync_begin(struct store_known *k)
{
	return atomic_fetch_add(&k->generation, 1) + 1;
}

static bool known_pending(const struct known_entry *e)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (e->block[d].pending)
			return true;
	}
	return false;
}

/*
 * Take one shard's entries not set since generation since, and holding
 * nothing pending (not in the shared store yet, so not in its listing);
 * a list.
 */
static struct known_entry *known_take_stale(struct store_known *k,
    struct known_shard *shard, uint64_t since)
{
	struct known_entry *stale = NULL;

	pthread_mutex_lock(&shard->lock);
	for (size_t b = 0; b < STORE_KNOWN_BUCKETS; b++) {
		struct known_entry **p = &shard->bucket[b];

		while (*p != NULL) {
			struct known_entry *e = *p;

			if (e->stamp >= since || known_pending(e)) {
				p = &e->next;
				continue;
			}
			*p = e->next;
			e->next = stale;
			stale = e;
			atomic_fetch_sub(&k->count, 1);
		}
	}
	pthread_mutex_unlock(&shard->lock);
	return stale;
}

void store_known_sync_end(struct store_known *k, uint64_t since)
{
	for (size_t i = 0; i < STORE_KNOWN_SHARDS; i++) {
		struct known_entry *e = known_take_stale(k, &k->shard[i], since);

		while (e != NULL) {
			struct known_entry *next = e->next;

			for (unsigned d = 0; d < DETECTOR_COUNT; d++)
				known_summary(e, (enum detector)d, &e->block[d],
				    " lifted=yes");
			known_tell(k, &e->key, DETECTOR_COUNT, 0);
			free(e);
			e = next;
		}
	}
}

void store_known_note_result(struct store_known *k,
    const struct store_event *event, const struct store_result *result)
{
	const struct host_key *key = store_result_key(event, result);

	if (result->outcome == RULE_ALLOWED)
		return;
	store_known_set(k, key, result->detector, result->block_until,
	    result->outcome == RULE_TRIPPED ? event->now : 0, result->count);
	store_known_set_level(k, key, result->detector, result->level);
}

size_t store_known_count(struct store_known *k)
{
	return atomic_load(&k->count);
}

void store_known_result(const struct store_known_hit *hit,
    struct store_result *result)
{
	memset(result, 0, sizeof(*result));
	result->outcome = RULE_REFUSED;
	result->detector = hit->detector;
	result->count = hit->count;
	result->block_until = hit->until;
	result->level = hit->level;
	result->known = true;
}
