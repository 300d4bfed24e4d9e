/*
 * runtime.h - what the running daemon shares between its threads: the
 * policy (with the configuration in force), the store, and the reload.
 *
 * runtime_init() fills rt; config_path is the file given with -c, read
 * again on each reload; foreground says whether logs also go to stderr.
 * runtime_reload() reads that file again.  When it loads, its rules,
 * lists and files replace the running ones (sessions already open keep
 * the configuration they started with), the log level and facility
 * follow it, and the keys that need a restart keep their running values
 * with a warning naming them; it returns 0.  When it does not load, the
 * running configuration stays, "file:line: what" is put in err and -1
 * returned.  Both outcomes are logged (event=reload) and counted.  Safe
 * from any thread; reloads run one at a time.  via names who asked
 * ("signal", "control") for the log.
 * runtime_reload_keys() is runtime_reload() that also writes the names
 * of the keys that need a restart, comma-separated, to changed ("" when
 * none, or when the file did not load).
 *
 * runtime_mta_connected() records that an MTA opened a milter connection
 * now (libmilter's negotiation; safe from any thread, lock-free);
 * runtime_mta_last() is the time of the latest, 0 when none came yet.
 * runtime_watch_start() starts a thread that, every second, gives the
 * store its upkeep (store_tick()) and logs, once, a warning
 * (event=no-mta) when the daemon has been up for mta_warn_after seconds
 * (of the configuration in force) and no MTA has ever connected: the
 * MTA may not reach the socket, and then mail flows unprotected.
 * runtime_watch_stop() ends that thread; both return at once.
 * runtime_watch_start() returns 0, or -1 with the reason in err.
 */
#ifndef BULWARK_RUNTIME_H
#define BULWARK_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "store.h"

struct runtime {
	const char *config_path;
	struct policy *policy;
	struct store *store;
	int64_t started;		/* Unix seconds */
	bool foreground;
	char node[STORE_NOTE_NODE_MAX];	/* node, or the host name */
	pthread_mutex_t reload_lock;	/* guards what follows */
	int syslog_facility;		/* the one the log is open with */
	pthread_t watch;
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_wake;
	bool watching;			/* the thread runs */
	bool watch_stop;		/* it was told to end */
};

void runtime_init(struct runtime *rt, const char *config_path,
    struct policy *policy, struct store *store, bool foreground);
void runtime_destroy(struct runtime *rt);
#define RUNTIME_RESTART_KEYS_MAX 256

int runtime_reload(struct runtime *rt, const char *via, char *err,
    size_t errlen);
int runtime_reload_keys(struct runtime *rt, const char *via, char *changed,
    size_t changedlen, char *err, size_t errlen);

void runtime_mta_connected(int64_t now);
int64_t runtime_mta_last(void);
int runtime_watch_start(struct runtime *rt, char *err, size_t errlen);
void runtime_watch_stop(struct runtime *rt);

#endif
