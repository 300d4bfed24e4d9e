/*
 * firewall.c - see firewall.h.  The queue between the threads that learn
 * of blocks and the worker that changes the sets.
 *
 * The queue is a fixed ring under one mutex: adding costs a lock and a
 * copy, never an allocation nor a wait.  The worker wakes for a request
 * or once a second; each second it forgets expired elements and looks
 * whether a reload has installed a new configuration (the policy holds
 * it; the pointer changes with every reload), which it then syncs to.
 */
#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "firewall.h"
#include "firewall_stats.h"
#include "firewall_worker.h"
#include "log.h"
#include "store_known.h"

#define FIREWALL_QUEUE_MAX	4096

enum firewall_op {
	FIREWALL_OP_ADD,
	FIREWALL_OP_REMOVE
};

struct firewall_request {
	enum firewall_op op;
	struct host_key key;
	int64_t until;
};

static struct {
	pthread_mutex_t lock;		/* guards everything up to worker */
	pthread_cond_t wake;
	bool running;
	bool stopping;
	bool resync;
	struct config *cfg;		/* what firewall_add() filters with */
	struct firewall_request queue[FIREWALL_QUEUE_MAX];
	size_t head;
	size_t count;
	pthread_t thread;
	struct firewall_worker worker;	/* the worker thread's alone */
} fw = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

int firewall_check(const struct config *cfg, char *err, size_t errlen)
{
	struct firewall_nft *nft;
	int rc;

	if (!cfg->firewall.enabled)
		return 0;
	if ((nft = firewall_nft_open(&cfg->firewall, err, errlen)) == NULL)
		return -1;
	rc = firewall_nft_check(nft, err, errlen);
	firewall_nft_close(nft);
	return rc;
}

/* Called with fw.lock held. */
static void firewall_queue(const struct firewall_request *r)
{
	if (fw.count == FIREWALL_QUEUE_MAX) {
		firewall_stats_count(FIREWALL_DROPPED, 1);
		return;
	}
	fw.queue[(fw.head + fw.count++) % FIREWALL_QUEUE_MAX] = *r;
	pthread_cond_signal(&fw.wake);
}

void firewall_add(const struct host_key *key, enum detector detector,
    int64_t until)
{
	struct firewall_request r = { FIREWALL_OP_ADD, *key, until };

	pthread_mutex_lock(&fw.lock);
	if (fw.running && !fw.stopping && firewall_pushes(fw.cfg, detector))
		firewall_queue(&r);
	pthread_mutex_unlock(&fw.lock);
}

void firewall_remove(const struct host_key *key)
{
	struct firewall_request r = { FIREWALL_OP_REMOVE, *key, 0 };

	pthread_mutex_lock(&fw.lock);
	if (fw.running && !fw.stopping)
		firewall_queue(&r);
	pthread_mutex_unlock(&fw.lock);
}

void firewall_resync(void)
{
	pthread_mutex_lock(&fw.lock);
	fw.resync = true;
	pthread_cond_signal(&fw.wake);
	pthread_mutex_unlock(&fw.lock);
}

/* The policy's observer: every block that trips or refuses an event. */
static void firewall_observe(const struct store_event *event,
    const struct store_result *result, void *arg)
{
	(void)arg;
	if (result->outcome != RULE_ALLOWED)
		firewall_add(store_result_key(event, result), result->detector,
		    result->block_until);
}

/* What the node's record of the array's blocks heard: other nodes' too. */
static void firewall_heard(void *arg, const struct host_key *key,
    enum detector detector, int64_t until)
{
	(void)arg;
	if (detector == DETECTOR_COUNT)
		firewall_remove(key);
	else
		firewall_add(key, detector, until);
}

/* A reload installed a new configuration: work with it, and sync. */
static bool firewall_follow_config(struct firewall_worker *w)
{
	struct config *now = policy_config(w->policy), *old;

	if (now == w->cfg) {
		config_unref(now);
		return false;
	}
	pthread_mutex_lock(&fw.lock);
	old = fw.cfg;
	fw.cfg = config_ref(now);
	pthread_mutex_unlock(&fw.lock);
	config_unref(old);
	config_unref(w->cfg);
	w->cfg = now;
	return true;
}

/* Wait up to a second for work; false once asked to stop. */
static bool firewall_wait(struct firewall_request *batch, size_t *n,
    bool *resync)
{
	struct timespec deadline;
	bool stopping;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec++;
	pthread_mutex_lock(&fw.lock);
	while (!fw.stopping && fw.count == 0 && !fw.resync &&
	    pthread_cond_timedwait(&fw.wake, &fw.lock, &deadline) != ETIMEDOUT)
		;
	for (*n = 0; fw.count > 0 && *n < FIREWALL_QUEUE_MAX; fw.count--) {
		batch[(*n)++] = fw.queue[fw.head];
		fw.head = (fw.head + 1) % FIREWALL_QUEUE_MAX;
	}
	*resync = fw.resync;
	fw.resync = false;
	stopping = fw.stopping;
	pthread_mutex_unlock(&fw.lock);
	return !stopping;
}

static void *firewall_main(void *arg)
{
	static struct firewall_request batch[FIREWALL_QUEUE_MAX];
	struct firewall_worker *w = arg;
	bool resync = true;
	size_t n = 0;

	do {
		int64_t now = (int64_t)time(NULL);

		if (firewall_follow_config(w) || resync)
			firewall_worker_sync(w, now);
		for (size_t i = 0; i < n; i++) {
			if (batch[i].op == FIREWALL_OP_ADD)
				firewall_worker_add(w, &batch[i].key,
				    batch[i].until, now);
			else
				firewall_worker_remove(w, &batch[i].key, now);
		}
		firewall_worker_tick(w, now);
	} while (firewall_wait(batch, &n, &resync));
	return NULL;
}

int firewall_start(struct policy *policy, struct store *store, char *err,
    size_t errlen)
{
	struct config *cfg = policy_config(policy);
	struct firewall_worker *w = &fw.worker;
	int rc;

	if (!cfg->firewall.enabled) {
		config_unref(cfg);
		return 0;
	}
	memset(w, 0, sizeof(*w));
	if ((w->nft = firewall_nft_open(&cfg->firewall, err, errlen)) == NULL ||
	    firewall_nft_check(w->nft, err, errlen) < 0) {
		firewall_nft_close(w->nft);
		config_unref(cfg);
		return -1;
	}
	w->policy = policy;
	w->store = store;
	w->cfg = cfg;
	firewall_table_init(&w->table);
	firewall_guard_init(&w->guard);
	fw.cfg = config_ref(cfg);
	fw.running = true;
	firewall_stats_set_state(FIREWALL_OK);
	if ((rc = pthread_create(&fw.thread, NULL, firewall_main, w)) != 0) {
		snprintf(err, errlen, "firewall thread: %s", strerror(rc));
		fw.running = false;
		return -1;
	}
	policy_set_observer(policy, firewall_observe, NULL);
	if (store_known(store) != NULL)
		store_known_set_hook(store_known(store), firewall_heard, NULL);
	return 0;
}

void firewall_stop(void)
{
	struct firewall_worker *w = &fw.worker;

	pthread_mutex_lock(&fw.lock);
	if (!fw.running) {
		pthread_mutex_unlock(&fw.lock);
		return;
	}
	fw.stopping = true;
	pthread_cond_signal(&fw.wake);
	pthread_mutex_unlock(&fw.lock);
	pthread_join(fw.thread, NULL);
	policy_set_observer(w->policy, NULL, NULL);
	if (store_known(w->store) != NULL)
		store_known_set_hook(store_known(w->store), NULL, NULL);
	pthread_mutex_lock(&fw.lock);
	fw.running = false;
	config_unref(fw.cfg);
	fw.cfg = NULL;
	pthread_mutex_unlock(&fw.lock);
	firewall_nft_close(w->nft);
	firewall_table_free(&w->table);
	firewall_guard_free(&w->guard);
	free(w->pending);
	config_unref(w->cfg);
	memset(w, 0, sizeof(*w));
}
