/*
 * state.c - see state.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"
#include "state.h"
#include "store_memory_state.h"

/* state_file applies to the memory store, the node's only state. */
static bool state_kept(const struct config *cfg)
{
	return cfg->state_file[0] != '\0' && strcmp(cfg->store, "memory") == 0;
}

void daemon_state_load(const struct config *cfg, struct store *store)
{
	char err[1024], quoted[4096], dir[1024], *slash;
	bool missing;
	int n;

	if (!state_kept(cfg))
		return;
	n = store_memory_state_load(store, cfg->state_file,
	    (int64_t)time(NULL), &missing, err, sizeof(err));
	escape(err, ESCAPE_QUOTED, quoted, sizeof(quoted));
	if (n < 0)
		log_warning("event=state-ignored reason=\"%s\"", quoted);
	else if (!missing)
		log_notice("event=state-loaded blocks=%d", n);
	snprintf(dir, sizeof(dir), "%s", cfg->state_file);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (access(dir, W_OK | X_OK) < 0) {
		escape(dir, ESCAPE_QUOTED, quoted, sizeof(quoted));
		log_warning("event=state-unwritable directory=\"%s\" "
		    "reason=\"%s: the blocks will not be kept at the stop\"",
		    quoted, strerror(errno));
	}
}

void daemon_state_save(const struct config *cfg, struct store *store)
{
	char err[1024], quoted[4096];
	int n;

	if (!state_kept(cfg))
		return;
	n = store_memory_state_save(store, cfg->state_file,
	    (int64_t)time(NULL), err, sizeof(err));
	if (n >= 0) {
		log_notice("event=state-saved blocks=%d", n);
		return;
	}
	escape(err, ESCAPE_QUOTED, quoted, sizeof(quoted));
	log_warning("event=state-not-saved reason=\"%s\"", quoted);
}
