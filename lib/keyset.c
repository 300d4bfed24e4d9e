/*
 * keyset.c - a hashed set of byte-string keys.  See keyset.h.
 *
 * Open addressing with linear probing in a table that grows to stay at
 * most half full, so probe runs stay short.  A slot holds the key's full
 * hash, its length and its offset in one arena of key bytes; a probe
 * compares the bytes only when hash and length agree.  Offset 0 is never
 * a key's (the arena's first byte is reserved), so a slot of offset 0 is
 * free and the table starts zeroed.
 *
 * The hash is not keyed: the keys come from the administrator's files,
 * never from clients, so no client can choose keys that collide in the
 * table.  A lookup of a client-chosen key costs at most the longest run
 * of the table, which the half-full bound keeps short.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"
#include "linefile.h"
#include "xalloc.h"

#define KEYSET_REASON_MAX 1024

struct keyset_slot {
	uint64_t hash;
	size_t off;		/* in the arena; 0 marks a free slot */
	size_t len;
};

struct keyset {
	struct keyset_slot *slots;
	size_t size;		/* a power of two */
	size_t count;
	char *arena;		/* the keys' bytes, one after the other */
	size_t used, cap;	/* of the arena */
};

static inline uint64_t keyset_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

/* A final avalanche, so the low bits used as the index mix well. */
static inline uint64_t keyset_fmix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

/* Eight bytes at a time: the cost of a short key is a few multiplies. */
static uint64_t keyset_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x62756c7761726bu ^ (len * 0x9e3779b97f4a7c15u);
	uint64_t w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = keyset_rotl(h ^ (w * 0x87c37b91114253d5u), 31) *
		    0x4cf5ad432745937fu;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, p, len);
		h = keyset_rotl(h ^ (w * 0x87c37b91114253d5u), 31) *
		    0x4cf5ad432745937fu;
	}
	return keyset_fmix(h);
}

struct keyset *keyset_new(void)
{
	struct keyset *set = xcalloc(1, sizeof(*set));

	set->size = 16;
	set->slots = xcalloc(set->size, sizeof(*set->slots));
	set->cap = 256;
	set->arena = xmalloc(set->cap);
	set->used = 1;
	return set;
}

void keyset_free(struct keyset *set)
{
	if (set == NULL)
		return;
	free(set->slots);
	free(set->arena);
	free(set);
}

size_t keyset_count(const struct keyset *set)
{
	return set->count;
}

/* The slot holding the key, or the free slot where it belongs. */
static struct keyset_slot *keyset_slot(const struct keyset *set,
    const void *key, size_t len, uint64_t hash)
{
	size_t mask = set->size - 1;
	size_t i = (size_t)hash & mask;
	struct keyset_slot *s;

	for (;; i = (i + 1) & mask) {
		s = &set->slots[i];
		if (s->off == 0 || (s->hash == hash && s->len == len &&
		    memcmp(set->arena + s->off, key, len) == 0))
			return s;
	}
}

bool keyset_contains(const struct keyset *set, const void *key, size_t len)
{
	return keyset_slot(set, key, len, keyset_hash(key, len))->off != 0;
}

static void keyset_grow(struct keyset *set)
{
	struct keyset_slot *old = set->slots;
	size_t old_size = set->size;
	size_t mask;

	set->size = old_size * 2;
	mask = set->size - 1;
	set->slots = xcalloc(set->size, sizeof(*set->slots));
	for (size_t i = 0; i < old_size; i++) {
		size_t j = (size_t)old[i].hash & mask;

		if (old[i].off == 0)
			continue;
		while (set->slots[j].off != 0)
			j = (j + 1) & mask;
		set->slots[j] = old[i];
	}
	free(old);
}

/* Copy the key's bytes to the end of the arena; returns their offset. */
static size_t keyset_store(struct keyset *set, const void *key, size_t len)
{
	size_t off = set->used;

	if (len > set->cap - set->used) {
		while (len > set->cap - set->used)
			set->cap *= 2;
		set->arena = xrealloc(set->arena, set->cap, 1);
	}
	memcpy(set->arena + off, key, len);
	set->used += len;
	return off;
}

bool keyset_add(struct keyset *set, const void *key, size_t len)
{
	uint64_t hash = keyset_hash(key, len);
	struct keyset_slot *slot;

	if ((set->count + 1) * 2 > set->size)
		keyset_grow(set);
	slot = keyset_slot(set, key, len, hash);
	if (slot->off != 0)
		return false;
	slot->hash = hash;
	slot->len = len;
	slot->off = keyset_store(set, key, len);
	set->count++;
	return true;
}

const void *keyset_next(const struct keyset *set, size_t *cursor,
    size_t *len)
{
	for (; *cursor < set->size; (*cursor)++) {
		const struct keyset_slot *s = &set->slots[*cursor];

		if (s->off != 0) {
			(*cursor)++;
			*len = s->len;
			return set->arena + s->off;
		}
	}
	return NULL;
}

struct keyset *keyset_load_file(const char *path, size_t max,
    keyset_parse_fn *parse, void *arg, char *err, size_t errlen)
{
	char reason[KEYSET_REASON_MAX];
	struct linefile *lf;
	struct keyset *set;
	char *entry;
	int r;

	if ((lf = linefile_open(path, max, err, errlen)) == NULL)
		return NULL;
	set = keyset_new();
	while ((r = linefile_next(lf, &entry, err, errlen)) == 1) {
		if (parse(arg, entry, set, reason, sizeof(reason)) < 0) {
			r = linefile_error(lf, reason, err, errlen);
			break;
		}
	}
	linefile_close(lf);
	if (r == 0)
		return set;
	keyset_free(set);
	return NULL;
}
