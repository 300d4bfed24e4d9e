/*
 * state.h - state_file: the memory store's blocks kept across a restart
 * (store_memory_state.h does the reading and writing).
 *
 * daemon_state_load() is called at start, as the user the daemon runs
 * as, once the store is open: the blocks written at the last stop come
 * back (event=state-loaded); a file that cannot be used is ignored with a
 * warning (event=state-ignored), and so is, with a warning
 * (event=state-unwritable), a directory the user cannot write to.
 * daemon_state_save() is called at stop, once no callback runs any more:
 * it writes the blocks in force (event=state-saved, or a warning
 * event=state-not-saved).  Both do nothing unless cfg has a state_file
 * and the memory store.
 */
#ifndef BULWARK_STATE_H
#define BULWARK_STATE_H

#include "config.h"
#include "store.h"

void daemon_state_load(const struct config *cfg, struct store *store);
void daemon_state_save(const struct config *cfg, struct store *store);

#endif
