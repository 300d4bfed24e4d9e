/*
 * store_memory_state.h - the memory store's blocks and notes kept across
 * a restart, in state_file.
 *
 * store_memory_state_save() writes every block in force at now (each
 * detector's end) and every note of a blocked host to path, through a
 * temporary file in the same directory renamed over it, so a reader
 * never sees half a file.  Returns the number of blocks written, or -1
 * with "path: reason" in err.
 * store_memory_state_load() reads such a file back into store: blocks
 * that have not ended by now are set again with their end (the count
 * that started them is not kept), notes with them.  The whole file is
 * checked before anything is applied: a file with any bad line is
 * ignored.  Returns the number of blocks set; 0 for a missing file (with
 * *missing set); -1 with "path:line: reason" or "path: reason" in err
 * (the file is then ignored).  File text is never echoed in err.
 *
 * The format is text, one record a line, after a first line
 * "# bulwark state 1": "block KEY DETECTOR UNTIL" and "note KEY UNTIL
 * SET_AT NODE REASON", KEY as host_key_format() writes it, times in Unix
 * seconds, NODE and REASON as hex ("-" when empty).  Both functions work
 * through the store interface (store.h), so any backend can be given.
 */
#ifndef BULWARK_STORE_MEMORY_STATE_H
#define BULWARK_STORE_MEMORY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

int store_memory_state_save(struct store *store, const char *path,
    int64_t now, char *err, size_t errlen);
int store_memory_state_load(struct store *store, const char *path,
    int64_t now, bool *missing, char *err, size_t errlen);

#endif
