/*
 * keyset.h - a hashed set of byte-string keys: the table behind the host
 * lists (hostlist.h) and the valid recipients (recipients.h).
 *
 * A key is any len bytes (the empty key included); two keys are the same
 * when their bytes are.  The set keeps its own copy of every key.
 *
 * keyset_new() returns an empty set, never NULL; keyset_free() accepts
 * NULL.  keyset_add() returns true when the key was added, false when it
 * was already there (the set is then unchanged).  keyset_contains() and
 * keyset_add() cost one hash of the key and a short probe, on average,
 * whatever the number of keys.  keyset_count() is the number of keys.
 *
 * keyset_next() walks the keys: start with *cursor = 0; each call returns
 * the next key, its length in *len, or NULL after the last one.  Keys come
 * in no particular order; the set must not change during the walk.
 *
 * keyset_load_file() calls parse(arg, entry, set, reason, reasonlen) for
 * each entry of the one-entry-per-line file path (linefile.h, lines of at
 * most max bytes); parse adds what it makes of the entry to set, or
 * returns -1 with why the entry is refused in reason (escaped, never raw
 * file bytes).  It returns a new set of every entry, or NULL with
 * "path:line: reason" (or "path: reason") in err: a file is loaded whole
 * or not at all.
 */
#ifndef BULWARK_KEYSET_H
#define BULWARK_KEYSET_H

#include <stdbool.h>
#include <stddef.h>

struct keyset;

typedef int keyset_parse_fn(void *arg, char *entry, struct keyset *set,
    char *reason, size_t reasonlen);

struct keyset *keyset_new(void);
void keyset_free(struct keyset *set);
bool keyset_add(struct keyset *set, const void *key, size_t len);
bool keyset_contains(const struct keyset *set, const void *key, size_t len);
size_t keyset_count(const struct keyset *set);
const void *keyset_next(const struct keyset *set, size_t *cursor,
    size_t *len);
struct keyset *keyset_load_file(const char *path, size_t max,
    keyset_parse_fn *parse, void *arg, char *err, size_t errlen);

#endif
