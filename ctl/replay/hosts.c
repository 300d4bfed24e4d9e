/*
 * hosts.c - the replay's per-host figures, an open-addressing table of
 * host_key to host_stats that doubles when half full.  See replay.h.
 * Its size follows the number of distinct hosts, never the log's.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "xalloc.h"

#define HOSTS_SEED 0x9e3779b97f4a7c15ULL

struct host_table {
	struct host_stats **slots;
	size_t size;			/* a power of two */
	size_t count;
};

struct host_table *hosts_new(void)
{
	struct host_table *t = xcalloc(1, sizeof(*t));

	t->size = 1024;
	t->slots = xcalloc(t->size, sizeof(*t->slots));
	return t;
}

void hosts_free(struct host_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->size; i++)
		free(t->slots[i]);
	free(t->slots);
	free(t);
}

size_t hosts_count(const struct host_table *t)
{
	return t->count;
}

static size_t hosts_slot(const struct host_table *t, const struct host_key *key)
{
	size_t i = (size_t)host_key_hash(key, HOSTS_SEED) & (t->size - 1);

	while (t->slots[i] != NULL && !host_key_equal(&t->slots[i]->key, key))
		i = (i + 1) & (t->size - 1);
	return i;
}

static void hosts_grow(struct host_table *t)
{
	struct host_stats **old = t->slots;
	size_t old_size = t->size;

	t->size *= 2;
	t->slots = xcalloc(t->size, sizeof(*t->slots));
	for (size_t i = 0; i < old_size; i++) {
		if (old[i] != NULL)
			t->slots[hosts_slot(t, &old[i]->key)] = old[i];
	}
	free(old);
}

struct host_stats *hosts_find(struct host_table *t, const struct host_key *key)
{
	return t->slots[hosts_slot(t, key)];
}

struct host_stats *hosts_get(struct host_table *t, const struct host_key *key)
{
	size_t i = hosts_slot(t, key);
	struct host_stats *h = t->slots[i];

	if (h != NULL)
		return h;
	if ((t->count + 1) * 2 > t->size) {
		hosts_grow(t);
		i = hosts_slot(t, key);
	}
	h = xcalloc(1, sizeof(*h));
	h->key = *key;
	for (int d = 0; d < DETECTOR_COUNT; d++)
		h->current[d] = -1;
	h->watch = -1;
	t->slots[i] = h;
	t->count++;
	return h;
}

void hosts_each(struct host_table *t,
    int (*fn)(struct host_stats *h, void *arg), void *arg)
{
	for (size_t i = 0; i < t->size; i++) {
		if (t->slots[i] != NULL && fn(t->slots[i], arg) != 0)
			return;
	}
}
