/*
 * store_redis_conc.c - the Redis store's count of live sessions across
 * the array, for the concurrency limit.  See store.h for the contract
 * and store_redis.lua (its last section) for the hash that holds it.
 *
 * A node names itself "<host name>/<pid>": two daemons on one machine
 * are two nodes, and a restarted daemon never inherits the counts of the
 * process it replaces; those end with their lease.
 *
 * CONNECT: the event's script call takes one more key, last, the host's
 * sessions hash (same hash tag, so one slot and one round trip), and
 * five more arguments; the reply has two more numbers.  Close: one
 * script call ("cr") for a session that was counted.  Refresh: a thread,
 * started with the sessions source, asks it every second for this node's
 * live counted sessions and its summary; every lease / 3 seconds it
 * writes each host's absolute count with a new lease ("cs", one call per
 * host), which also corrects a release that was lost, and every
 * STORE_NODE_PUBLISH seconds it publishes the summary
 * (store_redis_nodes.c); a node that dies or loses Redis stops
 * renewing, and its counts stop counting within one lease.  A race
 * between a refresh and sessions opening or closing never counts too few:
 * the policy counts a session in its table before the store counts it
 * and uncounts it from the store before the table (policy.c); each
 * node's field keeps the highest count sequence (sessions.h) it was
 * written with, and a refresh read before a session the field has seen
 * renews the lease without touching the count.  A count too many lasts
 * until the next refresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_redis_impl.h"
#include "xalloc.h"

#define REDIS_CONC_HOSTS_MAX	4096	/* hosts written per refresh */

void redis_conc_init(struct redis_store *s)
{
	struct redis_conc *c = &s->conc;
	char host[REDIS_NODE_MAX - 16];
	pthread_condattr_t attr;

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	c->node_len = (size_t)snprintf(c->node, sizeof(c->node), "%s/%ld", host,
	    (long)getpid());
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
}

/* "<prefix>conc:{<tag>}<host key text>" into buf (REDIS_KEY_MAX bytes). */
size_t redis_conc_key(const struct redis_store *s, const struct host_key *key,
    char *buf)
{
	return redis_key_named(s, "conc:", key, buf);
}

void redis_conc_event_args(const struct redis_store *s,
    const struct store_event *event, struct redis_args *a)
{
	redis_arg_int(a, (long long)event->sessions_seq);
	redis_arg(a, s->conc.node, s->conc.node_len);
	redis_arg_int(a, event->sessions_max);
	redis_arg_int(a, event->sessions_enforce != 0);
	redis_arg_int(a, event->sessions_lease);
}

/* One "cr" or "cs" call on the host's sessions; 0 or -1. */
static int redis_conc_call(struct redis_store *s, const struct host_key *key,
    const char *op, long long count, unsigned lease, uint64_t seq)
{
	char ckeybuf[REDIS_KEY_MAX], err[REDIS_ERROR_MAX];
	struct redis_args a;
	redisReply *reply;

	a.argc = 2;
	a.used = 0;
	redis_arg(&a, "1", 1);
	redis_arg(&a, ckeybuf, redis_conc_key(s, key, ckeybuf));
	redis_arg(&a, op, strlen(op));
	/* The script's clock: Redis's, unless a test set the node's. */
	redis_arg_int(&a, s->node_clock ? (long long)time(NULL) : 0);
	redis_arg(&a, s->conc.node, s->conc.node_len);
	if (count >= 0)
		redis_arg_int(&a, count);
	redis_arg_int(&a, lease);
	if (count >= 0)
		redis_arg_int(&a, (long long)seq);
	if ((reply = redis_script(s, &a, err, sizeof(err))) == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}

int redis_session_release(struct store *base, const struct host_key *key,
    unsigned lease)
{
	return redis_conc_call(redis_of(base), key, "cr", -1, lease, 0);
}

static void redis_conc_sleep(struct redis_conc *c, unsigned seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	while (!c->stop &&
	    pthread_cond_timedwait(&c->wake, &c->lock, &until) == 0)
		;
}

static int64_t redis_conc_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/*
 * Rewrite this node's counts with a new lease, one call per host; the
 * first failure ends the pass, so Redis out of reach costs one
 * timeout_ms, not one per host.
 */
static void redis_conc_refresh(struct redis_store *s,
    const struct store_host_sessions *hosts, size_t n, unsigned lease,
    uint64_t seq)
{
	for (size_t i = 0; i < n; i++) {
		if (redis_conc_call(s, &hosts[i].key, "cs", hosts[i].sessions,
		    lease, seq) < 0)
			return;
	}
}

/*
 * Wakes every second: publishes the node's summary every
 * STORE_NODE_PUBLISH seconds, renews its counts every lease / 3.
 */
static void *redis_conc_main(void *arg)
{
	struct redis_store *s = arg;
	struct redis_conc *c = &s->conc;
	struct store_host_sessions *hosts = xcalloc(REDIS_CONC_HOSTS_MAX,
	    sizeof(*hosts));
	int64_t next_refresh = 0, next_publish = 0;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		struct store_node self = { .expires = 0 };
		unsigned lease = 0;
		uint64_t seq = 0;
		size_t n = c->fn(c->arg, hosts, REDIS_CONC_HOSTS_MAX, &lease,
		    &seq, &self);
		int64_t now = redis_conc_clock();

		pthread_mutex_unlock(&c->lock);
		if (lease > 0 && now >= next_refresh) {
			redis_conc_refresh(s, hosts, n, lease, seq);
			next_refresh = now + lease / 3;
		}
		if (now >= next_publish) {
			redis_nodes_publish(s, &self);
			next_publish = now + STORE_NODE_PUBLISH;
		}
		pthread_mutex_lock(&c->lock);
		redis_conc_sleep(c, 1);
	}
	pthread_mutex_unlock(&c->lock);
	free(hosts);
	return NULL;
}

static void redis_conc_stop(struct redis_conc *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->running) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->stop = true;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->running = false;
	c->stop = false;
}

void redis_set_sessions_source(struct store *base, store_sessions_fn fn,
    void *arg)
{
	struct redis_conc *c = &redis_of(base)->conc;

	redis_conc_stop(c);
	if (fn == NULL)
		return;
	c->fn = fn;
	c->arg = arg;
	c->running = pthread_create(&c->thread, NULL, redis_conc_main,
	    redis_of(base)) == 0;
	if (!c->running)
		log_error("event=error what=\"cannot start the sessions "
		    "refresh\" reason=\"thread\"");
}

void redis_conc_destroy(struct redis_store *s)
{
	redis_conc_stop(&s->conc);
	pthread_cond_destroy(&s->conc.wake);
	pthread_mutex_destroy(&s->conc.lock);
}
