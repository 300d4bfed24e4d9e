/*
 * sessions.c - the live sessions table.  See sessions.h.
 *
 * Slots: one array of `capacity` sessions with a free list threaded
 * through it; a handle is a slot's index plus one.  Hosts: an open
 * addressing table (linear probing, at least twice as many places as
 * sessions, so it is never more than half full) from host key to its
 * number of live sessions, keyed with a random seed since clients choose
 * their addresses.  An entry whose count falls to zero is removed by
 * shifting the entries after it back, so no tombstone ever lengthens a
 * probe.
 *
 * One mutex guards the slots and the hosts; it is held for a few hundred
 * instructions at CONNECT and at close, and never while anything else is
 * done.  A stage change does not take it: a session's stage and the
 * counts per stage are atomics, as SMTP threads move them.
 *
 * Memory: 40 bytes per slot and 32 per host place, with two to four
 * places per slot: about 100 bytes per session of capacity (426 KB for
 * SESSIONS_CAPACITY), allocated at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "sessions.h"
#include "xalloc.h"

#define SESSIONS_NIL	UINT32_MAX

struct sessions_slot {
	struct host_key key;
	int64_t since;
	uint32_t next_free;		/* SESSIONS_NIL: in use, or the last free */
	uint8_t stage;			/* atomic */
	uint8_t used;
	uint8_t counted;		/* by the concurrency limit */
};

struct sessions_place {
	struct host_key key;
	uint32_t sessions;		/* 0: empty */
	uint32_t home;			/* where its hash puts it */
	uint32_t counted;		/* of sessions, sessions_count() */
};

struct sessions {
	pthread_mutex_t lock;		/* guards what follows, to stats */
	struct sessions_slot *slots;
	uint32_t free_head;
	unsigned capacity;
	uint64_t live;
	uint64_t count_seq;		/* sessions ever marked counted */
	struct sessions_place *places;
	uint32_t mask;			/* places - 1, a power of two less one */
	uint64_t seed;
	uint64_t stages[SESSIONS_STAGES];	/* atomics */
	uint64_t untracked;		/* atomic */
};

static const char *const sessions_stage_names[SESSIONS_STAGES] = {
	[SESSIONS_CONNECTED] = "connected",
	[SESSIONS_GREETED] = "greeted",
	[SESSIONS_TRANSACTION] = "transaction",
	[SESSIONS_DATA] = "data",
};

const char *sessions_stage_name(enum sessions_stage stage)
{
	return (unsigned)stage < SESSIONS_STAGES ?
	    sessions_stage_names[stage] : "unknown";
}

struct sessions *sessions_new(unsigned capacity)
{
	struct sessions *t = xcalloc(1, sizeof(*t));
	uint32_t places = 2;

	if (capacity == 0)
		capacity = 1;
	while (places < 2 * capacity)
		places *= 2;
	pthread_mutex_init(&t->lock, NULL);
	t->capacity = capacity;
	t->slots = xcalloc(capacity, sizeof(*t->slots));
	for (unsigned i = 0; i < capacity; i++)
		t->slots[i].next_free = i + 1 < capacity ? i + 1 : SESSIONS_NIL;
	t->free_head = 0;
	t->places = xcalloc(places, sizeof(*t->places));
	t->mask = places - 1;
	t->seed = host_key_seed();
	return t;
}

void sessions_free(struct sessions *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->slots);
	free(t->places);
	free(t);
}

/* The place of key, or of the empty place where it would go. */
static uint32_t sessions_find(const struct sessions *t,
    const struct host_key *key, uint32_t *home)
{
	uint32_t i = (uint32_t)host_key_hash(key, t->seed) & t->mask;

	*home = i;
	while (t->places[i].sessions != 0 &&
	    !host_key_equal(&t->places[i].key, key))
		i = (i + 1) & t->mask;
	return i;
}

/* Whether home h lies cyclically in (empty, j]: the entry at j may stay. */
static bool sessions_stays(uint32_t empty, uint32_t j, uint32_t h)
{
	return empty <= j ? (empty < h && h <= j) : (empty < h || h <= j);
}

/* Empty place i, shifting back the entries that probed past it. */
static void sessions_remove_place(struct sessions *t, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->places[j].sessions == 0)
			break;
		if (sessions_stays(i, j, t->places[j].home))
			continue;
		t->places[i] = t->places[j];
		i = j;
	}
	t->places[i].sessions = 0;
}

static void sessions_count_stage(struct sessions *t, int from, int to)
{
	if (from >= 0)
		__atomic_sub_fetch(&t->stages[from], 1, __ATOMIC_RELAXED);
	if (to >= 0)
		__atomic_add_fetch(&t->stages[to], 1, __ATOMIC_RELAXED);
	metrics_session_stage(from, to);
}

uint64_t sessions_open(struct sessions *t, const struct host_key *key,
    int64_t now, uint32_t *host_sessions)
{
	struct sessions_slot *slot;
	uint32_t index, place, home;

	pthread_mutex_lock(&t->lock);
	if (t->free_head == SESSIONS_NIL) {
		pthread_mutex_unlock(&t->lock);
		__atomic_add_fetch(&t->untracked, 1, __ATOMIC_RELAXED);
		if (host_sessions != NULL)
			*host_sessions = 0;
		return 0;
	}
	index = t->free_head;
	slot = &t->slots[index];
	t->free_head = slot->next_free;
	*slot = (struct sessions_slot){ .key = *key, .since = now,
	    .next_free = SESSIONS_NIL, .stage = SESSIONS_CONNECTED, .used = 1 };
	place = sessions_find(t, key, &home);
	if (t->places[place].sessions == 0)
		t->places[place] = (struct sessions_place){ .key = *key,
		    .home = home };
	t->places[place].sessions++;
	if (host_sessions != NULL)
		*host_sessions = t->places[place].sessions;
	t->live++;
	pthread_mutex_unlock(&t->lock);
	sessions_count_stage(t, -1, SESSIONS_CONNECTED);
	return (uint64_t)index + 1;
}

void sessions_advance(struct sessions *t, uint64_t handle,
    enum sessions_stage stage)
{
	struct sessions_slot *slot;
	uint8_t was;

	if (handle == 0 || handle > t->capacity ||
	    (unsigned)stage >= SESSIONS_STAGES)
		return;
	slot = &t->slots[handle - 1];
	was = __atomic_load_n(&slot->stage, __ATOMIC_RELAXED);
	if (stage <= was)
		return;
	__atomic_store_n(&slot->stage, (uint8_t)stage, __ATOMIC_RELAXED);
	sessions_count_stage(t, was, (int)stage);
}

void sessions_close(struct sessions *t, uint64_t handle)
{
	struct sessions_slot *slot;
	uint32_t place, home;
	uint8_t stage;

	if (handle == 0 || handle > t->capacity)
		return;
	slot = &t->slots[handle - 1];
	pthread_mutex_lock(&t->lock);
	stage = __atomic_load_n(&slot->stage, __ATOMIC_RELAXED);
	place = sessions_find(t, &slot->key, &home);
	if (slot->counted && t->places[place].counted > 0)
		t->places[place].counted--;
	if (t->places[place].sessions > 0 && --t->places[place].sessions == 0)
		sessions_remove_place(t, place);
	slot->used = 0;
	slot->next_free = t->free_head;
	t->free_head = (uint32_t)(handle - 1);
	t->live--;
	pthread_mutex_unlock(&t->lock);
	sessions_count_stage(t, stage, -1);
}

uint64_t sessions_count(struct sessions *t, uint64_t handle)
{
	struct sessions_slot *slot;
	uint32_t place, home;
	uint64_t seq = 0;

	if (handle == 0 || handle > t->capacity)
		return 0;
	slot = &t->slots[handle - 1];
	pthread_mutex_lock(&t->lock);
	if (slot->used && !slot->counted) {
		place = sessions_find(t, &slot->key, &home);
		if (t->places[place].sessions != 0) {
			slot->counted = 1;
			t->places[place].counted++;
			seq = ++t->count_seq;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return seq;
}

size_t sessions_snapshot(struct sessions *t, struct sessions_entry *out,
    size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < t->capacity && n < max; i++) {
		const struct sessions_slot *slot = &t->slots[i];

		if (!slot->used)
			continue;
		out[n++] = (struct sessions_entry){
			.handle = (uint64_t)i + 1,
			.key = slot->key,
			.since = slot->since,
			.stage = (enum sessions_stage)__atomic_load_n(&slot->stage,
			    __ATOMIC_RELAXED),
		};
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t sessions_hosts(struct sessions *t, struct sessions_host *out,
    size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i <= t->mask && n < max; i++) {
		if (t->places[i].sessions != 0)
			out[n++] = (struct sessions_host){ t->places[i].key,
			    t->places[i].sessions };
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t sessions_counted(struct sessions *t, struct sessions_host *out,
    size_t max, uint64_t *seq)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	*seq = t->count_seq;
	for (uint32_t i = 0; i <= t->mask && n < max; i++) {
		if (t->places[i].counted != 0)
			out[n++] = (struct sessions_host){ t->places[i].key,
			    t->places[i].counted };
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

void sessions_stats(struct sessions *t, struct sessions_stats *out)
{
	pthread_mutex_lock(&t->lock);
	out->live = t->live;
	pthread_mutex_unlock(&t->lock);
	for (unsigned s = 0; s < SESSIONS_STAGES; s++)
		out->stages[s] = __atomic_load_n(&t->stages[s], __ATOMIC_RELAXED);
	out->untracked = __atomic_load_n(&t->untracked, __ATOMIC_RELAXED);
	out->capacity = t->capacity;
}
