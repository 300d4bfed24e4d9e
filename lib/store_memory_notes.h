/*
 * store_memory_notes.h - the notes the memory store keeps on manual
 * blocks (who set one, when, why): one small table under its own lock,
 * apart from the shards, since notes are set and read only by hand
 * (bulwarkctl), never on an SMTP event.
 *
 * At most 1024 notes are kept; when the table is full the expired notes
 * go first, then the one whose block ends first.  memory_notes_set()
 * keeps note for key until `until`, replacing any; memory_notes_get()
 * returns 1 and the note, or 0; memory_notes_forget() drops key's note.
 * Safe to call from many threads at once.
 */
#ifndef BULWARK_STORE_MEMORY_NOTES_H
#define BULWARK_STORE_MEMORY_NOTES_H

#include <stdint.h>

#include "addr.h"
#include "store.h"

struct memory_notes;

struct memory_notes *memory_notes_new(void);
void memory_notes_free(struct memory_notes *notes);
void memory_notes_set(struct memory_notes *notes, const struct host_key *key,
    const struct store_note *note, int64_t until, int64_t now);
int memory_notes_get(struct memory_notes *notes, const struct host_key *key,
    struct store_note *out);
void memory_notes_forget(struct memory_notes *notes,
    const struct host_key *key);

#endif
