/*
 * redis_sentinel.h - follow the master the sentinels name, the moment
 * they name a new one.
 *
 * redis_sentinel_new() prepares a watcher of master_name over count
 * resolved sentinels; it connects nothing and starts no thread.  found()
 * is called from the watcher's thread (never concurrently) with the
 * master, resolved, each time the watcher settles on a different one,
 * the first time included.
 *
 * redis_sentinel_run() starts the watcher's thread unless it runs in
 * this process already: after fork() the child has no thread, and its
 * first call starts one (a fork handler keeps the watcher's state
 * consistent across fork()).  The thread runs with every signal blocked.
 * It:
 *  - asks the sentinels (SENTINEL MASTER) at once, then every
 *    REDIS_SENTINEL_CHECK_MS, and soon after redis_sentinel_check_soon()
 *    (at most every REDIS_SENTINEL_SOON_MS); the first sentinel that
 *    answers is asked, the one that answered last first;
 *  - stays subscribed to +switch-master on every sentinel it can reach
 *    (a lost one is retried every REDIS_SENTINEL_CHECK_MS) and, when one
 *    publishes a switch of master_name, follows it at once, then asks
 *    that sentinel for the new configuration epoch.
 * An answer is believed only when its config-epoch is newer than the
 * one believed, or equal with the same master: a sentinel that has not
 * heard of a failover yet cannot take the watcher back to the old master.
 * Every wait is bounded by timeout_ms.
 *
 * redis_sentinel_error() copies the watcher's last error ("" for none).
 * redis_sentinel_free() stops the thread and closes its connections.
 */
#ifndef BULWARK_REDIS_SENTINEL_H
#define BULWARK_REDIS_SENTINEL_H

#include <stddef.h>

#include "redis_endpoint.h"

#define REDIS_SENTINEL_CHECK_MS	1000
#define REDIS_SENTINEL_SOON_MS	100

struct redis_sentinel;

typedef void redis_sentinel_found_fn(void *arg,
    const struct redis_endpoint *master);

struct redis_sentinel *redis_sentinel_new(const struct redis_endpoint *sentinels,
    size_t count, const char *master_name, unsigned timeout_ms,
    redis_sentinel_found_fn *found, void *arg);
int redis_sentinel_run(struct redis_sentinel *w, char *err, size_t errlen);
void redis_sentinel_check_soon(struct redis_sentinel *w);
void redis_sentinel_error(struct redis_sentinel *w, char *err, size_t errlen);
void redis_sentinel_free(struct redis_sentinel *w);

#endif
