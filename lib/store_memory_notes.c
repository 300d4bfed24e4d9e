/*
 * store_memory_notes.c - the notes the memory store keeps on manual
 * blocks.  See store_memory_notes.h.
 */
#include <pthread.h>
#include <stdlib.h>

#include "store_memory_notes.h"
#include "xalloc.h"

#define MEMORY_NOTES_MAX	1024

struct memory_note {
	struct host_key key;
	int64_t until;
	struct store_note note;
};

struct memory_notes {
	pthread_mutex_t lock;
	struct memory_note *items;
	size_t count;
	size_t size;
};

struct memory_notes *memory_notes_new(void)
{
	struct memory_notes *notes = xcalloc(1, sizeof(*notes));

	pthread_mutex_init(&notes->lock, NULL);
	return notes;
}

void memory_notes_free(struct memory_notes *notes)
{
	pthread_mutex_destroy(&notes->lock);
	free(notes->items);
	free(notes);
}

/* The index of key's note, or notes->count; called with the lock held. */
static size_t memory_note_find(const struct memory_notes *notes,
    const struct host_key *key)
{
	size_t i = 0;

	while (i < notes->count && !host_key_equal(&notes->items[i].key, key))
		i++;
	return i;
}

static void memory_note_remove(struct memory_notes *notes, size_t i)
{
	notes->items[i] = notes->items[--notes->count];
}

/* Room for one more note in a full table: expired ones, else the first to end. */
static void memory_note_evict(struct memory_notes *notes, int64_t now)
{
	size_t i = 0, first = 0;

	while (i < notes->count) {
		if (notes->items[i].until <= now) {
			memory_note_remove(notes, i);
			continue;
		}
		if (notes->items[i].until < notes->items[first].until)
			first = i;
		i++;
	}
	if (notes->count == MEMORY_NOTES_MAX)
		memory_note_remove(notes, first);
}

void memory_notes_set(struct memory_notes *notes, const struct host_key *key,
    const struct store_note *note, int64_t until, int64_t now)
{
	size_t i;

	pthread_mutex_lock(&notes->lock);
	i = memory_note_find(notes, key);
	if (i == notes->count) {
		if (notes->count == MEMORY_NOTES_MAX)
			memory_note_evict(notes, now);
		if (notes->count == notes->size) {
			notes->size = notes->size ? notes->size * 2 : 16;
			notes->items = xrealloc(notes->items, notes->size,
			    sizeof(*notes->items));
		}
		i = notes->count++;
	}
	notes->items[i].key = *key;
	notes->items[i].until = until;
	notes->items[i].note = *note;
	pthread_mutex_unlock(&notes->lock);
}

int memory_notes_get(struct memory_notes *notes, const struct host_key *key,
    struct store_note *out)
{
	size_t i;
	int found;

	pthread_mutex_lock(&notes->lock);
	i = memory_note_find(notes, key);
	found = i < notes->count;
	if (found)
		*out = notes->items[i].note;
	pthread_mutex_unlock(&notes->lock);
	return found;
}

void memory_notes_forget(struct memory_notes *notes,
    const struct host_key *key)
{
	size_t i;

	pthread_mutex_lock(&notes->lock);
	i = memory_note_find(notes, key);
	if (i < notes->count)
		memory_note_remove(notes, i);
	pthread_mutex_unlock(&notes->lock);
}
