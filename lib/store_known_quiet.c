/*
 * store_known_quiet.c - the keys the node unblocked a moment ago.  See
 * store_known_quiet.h.
 *
 * A ring of the last STORE_KNOWN_QUIET_MAX keys with the monotonic time
 * each is quiet until, under one mutex; live counts the slots in use, so
 * that a lookup with none returns without the lock.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "store_known_quiet.h"
#include "xalloc.h"

struct quiet_slot {
	struct host_key key;
	int64_t until_ns;		/* 0: unused */
};

struct store_known_quiet {
	pthread_mutex_t lock;		/* guards what follows */
	struct quiet_slot slot[STORE_KNOWN_QUIET_MAX];
	unsigned next;
	atomic_uint live;		/* slots in use */
};

static int64_t quiet_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct store_known_quiet *store_known_quiet_new(void)
{
	struct store_known_quiet *q = xcalloc(1, sizeof(*q));

	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void store_known_quiet_free(struct store_known_quiet *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* Free slot i (the lock held). */
static void quiet_release(struct store_known_quiet *q, unsigned i)
{
	if (q->slot[i].until_ns == 0)
		return;
	q->slot[i].until_ns = 0;
	atomic_fetch_sub(&q->live, 1);
}

void store_known_quiet_add(struct store_known_quiet *q,
    const struct host_key *key)
{
	struct quiet_slot *s;

	pthread_mutex_lock(&q->lock);
	s = &q->slot[q->next];
	if (s->until_ns == 0)
		atomic_fetch_add(&q->live, 1);
	s->key = *key;
	s->until_ns = quiet_now_ns() + (int64_t)STORE_KNOWN_QUIET_S * 1000000000;
	q->next = (q->next + 1) % STORE_KNOWN_QUIET_MAX;
	pthread_mutex_unlock(&q->lock);
}

/*
 * Whether key is quiet; with drop, it is quiet no more.  Slots past
 * their time are freed on the way.
 */
static bool quiet_find(struct store_known_quiet *q, const struct host_key *key,
    bool drop)
{
	int64_t now;
	bool found = false;

	if (atomic_load_explicit(&q->live, memory_order_acquire) == 0)
		return false;
	now = quiet_now_ns();
	pthread_mutex_lock(&q->lock);
	for (unsigned i = 0; i < STORE_KNOWN_QUIET_MAX; i++) {
		struct quiet_slot *s = &q->slot[i];

		if (s->until_ns == 0)
			continue;
		if (s->until_ns <= now) {
			quiet_release(q, i);
		} else if (host_key_equal(&s->key, key)) {
			found = true;
			if (drop)
				quiet_release(q, i);
		}
	}
	pthread_mutex_unlock(&q->lock);
	return found;
}

void store_known_quiet_drop(struct store_known_quiet *q,
    const struct host_key *key)
{
	(void)quiet_find(q, key, true);
}

bool store_known_quiet_holds(struct store_known_quiet *q,
    const struct host_key *key)
{
	return quiet_find(q, key, false);
}
