/*
 * firewall_table.c - see firewall_table.h.
 *
 * Open addressing with linear probing, grown at half load; a removal
 * shifts the entries after it back, so no tombstones are left.  Each
 * family counts its entries per prefix length, so that a covering prefix
 * is found by reducing the key to each shorter length in use and looking
 * that up.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "firewall_table.h"
#include "xalloc.h"

#define FIREWALL_TABLE_MIN 64

static unsigned *table_lengths(struct firewall_table *t,
    const struct host_key *key)
{
	return t->lengths[key->family == 4 ? 0 : 1];
}

static bool table_alive(const struct firewall_entry *e, int64_t now)
{
	return e->until == 0 || e->until > now;
}

/* Blocked hosts choose their addresses: the hash is keyed at random. */
void firewall_table_init(struct firewall_table *t)
{
	memset(t, 0, sizeof(*t));
	if (getrandom(&t->seed, sizeof(t->seed), 0) != sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ 0x6669726577616c6cu;
}

void firewall_table_free(struct firewall_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->size = 0;
	firewall_table_clear(t);
}

void firewall_table_clear(struct firewall_table *t)
{
	if (t->slots != NULL)
		memset(t->slots, 0, t->size * sizeof(*t->slots));
	t->count = 0;
	memset(t->lengths, 0, sizeof(t->lengths));
}

static size_t table_home(const struct firewall_table *t,
    const struct host_key *key)
{
	return (size_t)host_key_hash(key, t->seed) & (t->size - 1);
}

/* The slot of key, or the free slot where it belongs. */
static struct firewall_entry *table_slot(const struct firewall_table *t,
    const struct host_key *key)
{
	size_t i = table_home(t, key);

	while (t->slots[i].key.family != 0 &&
	    !host_key_equal(&t->slots[i].key, key))
		i = (i + 1) & (t->size - 1);
	return &t->slots[i];
}

static void table_grow(struct firewall_table *t)
{
	struct firewall_entry *old = t->slots;
	size_t old_size = t->size;

	t->size = old_size ? old_size * 2 : FIREWALL_TABLE_MIN;
	t->slots = xcalloc(t->size, sizeof(*t->slots));
	for (size_t i = 0; i < old_size; i++) {
		if (old[i].key.family != 0)
			*table_slot(t, &old[i].key) = old[i];
	}
	free(old);
}

struct firewall_entry *firewall_table_find(const struct firewall_table *t,
    const struct host_key *key, int64_t now)
{
	struct firewall_entry *e;

	if (t->size == 0)
		return NULL;
	e = table_slot(t, key);
	return e->key.family != 0 && table_alive(e, now) ? e : NULL;
}

void firewall_table_put(struct firewall_table *t, const struct host_key *key,
    int64_t until)
{
	struct firewall_entry *e;

	if ((t->count + 1) * 2 > t->size)
		table_grow(t);
	e = table_slot(t, key);
	if (e->key.family == 0) {
		e->key = *key;
		t->count++;
		table_lengths(t, key)[key->prefix]++;
	}
	e->until = until;
}

void firewall_table_del(struct firewall_table *t, const struct host_key *key)
{
	size_t mask = t->size - 1, hole, i;
	struct firewall_entry *e;

	if (t->size == 0 || (e = table_slot(t, key))->key.family == 0)
		return;
	table_lengths(t, key)[key->prefix]--;
	t->count--;
	hole = (size_t)(e - t->slots);
	memset(e, 0, sizeof(*e));
	/* Move back each later entry of the run that may sit at the hole. */
	for (i = (hole + 1) & mask; t->slots[i].key.family != 0;
	    i = (i + 1) & mask) {
		size_t home = table_home(t, &t->slots[i].key);

		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = t->slots[i];
			memset(&t->slots[i], 0, sizeof(t->slots[i]));
			hole = i;
		}
	}
}

const struct firewall_entry *firewall_table_covering(
    const struct firewall_table *t, const struct host_key *key, int64_t now)
{
	const unsigned *lengths = t->lengths[key->family == 4 ? 0 : 1];
	struct host_addr net = { .family = key->family };
	struct host_key shorter;
	const struct firewall_entry *e;

	memcpy(net.bytes, key->bytes, sizeof(net.bytes));
	for (unsigned len = 0; len < key->prefix; len++) {
		if (lengths[len] == 0)
			continue;
		addr_key(&net, len, len, &shorter);
		if ((e = firewall_table_find(t, &shorter, now)) != NULL)
			return e;
	}
	return NULL;
}

bool firewall_table_has_longer(const struct firewall_table *t,
    const struct host_key *key)
{
	const unsigned *lengths = t->lengths[key->family == 4 ? 0 : 1];

	for (unsigned len = key->prefix + 1u; len <= 128; len++) {
		if (lengths[len] != 0)
			return true;
	}
	return false;
}

size_t firewall_table_purge(struct firewall_table *t, int64_t now)
{
	size_t i = 0;

	/* A removal may move a later entry into slot i: look at it again. */
	while (i < t->size) {
		struct firewall_entry *e = &t->slots[i];

		if (e->key.family != 0 && !table_alive(e, now)) {
			struct host_key key = e->key;

			firewall_table_del(t, &key);
			if (t->slots[i].key.family != 0)
				continue;
		}
		i++;
	}
	return t->count;
}

void firewall_table_walk(const struct firewall_table *t,
    void (*fn)(const struct firewall_entry *e, void *arg), void *arg)
{
	for (size_t i = 0; i < t->size; i++) {
		if (t->slots[i].key.family != 0)
			fn(&t->slots[i], arg);
	}
}

bool firewall_keys_overlap(const struct host_key *a, const struct host_key *b)
{
	struct host_addr na = { .family = a->family };
	struct host_addr nb = { .family = b->family };

	if (a->family != b->family)
		return false;
	memcpy(na.bytes, a->bytes, sizeof(na.bytes));
	memcpy(nb.bytes, b->bytes, sizeof(nb.bytes));
	return addr_in_prefix(&na, &nb, a->prefix < b->prefix ? a->prefix :
	    b->prefix);
}
