/*
 * redis_notify.c - the array's channel of blocks and the thread that
 * listens to it.  See redis_notify.h for the contract.
 *
 * The thread waits for messages in slices of REDIS_NOTIFY_SLICE_MS, so
 * that it notices a stop, a change of master and the time for a tick
 * without a socket timeout (which would break the hiredis context).
 * Whether a thread runs in this process is a fork generation: a fork
 * handler bumps the process's generation in the child, and
 * redis_notify_run() starts a thread when the notifier's differs.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis_notify.h"
#include "xalloc.h"

#define REDIS_NOTIFY_SLICE_MS	100
#define REDIS_NOTIFY_ERROR_MAX	256

struct redis_notify {
	redis_notify_pool_fn *pool_fn;
	struct store_known *known;
	char *channel;
	unsigned timeout_ms;
	struct redis_pool *pool;	/* of the connection the thread holds */
	redis_notify_fn *synced;
	redis_notify_fn *tick;
	void *arg;

	pthread_mutex_t start_lock;
	pthread_t thread;
	atomic_uint generation;		/* the process's when a thread runs */
	atomic_bool stopping;
	atomic_bool subscribed;
};

static atomic_uint redis_notify_generation = 1;
static pthread_once_t redis_notify_once = PTHREAD_ONCE_INIT;

static void redis_notify_fork_child(void)
{
	atomic_fetch_add(&redis_notify_generation, 1);
}

static void redis_notify_atfork(void)
{
	pthread_atfork(NULL, NULL, redis_notify_fork_child);
}

size_t redis_notify_block(char *buf, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count)
{
	char text[ADDR_TEXT_MAX];

	host_key_format(key, text, sizeof(text));
	return (size_t)snprintf(buf, REDIS_NOTIFY_MAX, "b %s %" PRId64 " %"
	    PRId64 " %" PRIu32 " %s", detector_name(detector), until, start,
	    count, text);
}

size_t redis_notify_unblock(char *buf, const struct host_key *key)
{
	char text[ADDR_TEXT_MAX];

	host_key_format(key, text, sizeof(text));
	return (size_t)snprintf(buf, REDIS_NOTIFY_MAX, "u %s", text);
}

int redis_notify_key_parse(const char *text, size_t len, struct host_key *out)
{
	char buf[ADDR_TEXT_MAX], check[ADDR_TEXT_MAX], *slash, *end;
	struct host_addr addr;
	unsigned long prefix = 128;

	if (len == 0 || len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		prefix = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || prefix > 128)
			return -1;
	}
	if (addr_parse(buf, &addr) < 0)
		return -1;
	addr_key(&addr, (unsigned)prefix, (unsigned)prefix, out);
	host_key_format(out, check, sizeof(check));
	if (slash != NULL)
		*slash = '/';
	/* Only the canonical spelling of a key is one a node wrote. */
	return strcmp(check, buf) == 0 ? 0 : -1;
}

/* The next space-separated word of [*p, end); its length, 0 at the end. */
static size_t redis_notify_word(const char **p, const char *end,
    const char **word)
{
	const char *s = *p, *e;

	*word = s;
	if (s >= end)
		return 0;
	e = memchr(s, ' ', (size_t)(end - s));
	*p = e != NULL ? e + 1 : end;
	return (size_t)((e != NULL ? e : end) - s);
}

static int redis_notify_number(const char *word, size_t len, int64_t *out)
{
	char buf[24], *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, word, len);
	buf[len] = '\0';
	*out = strtoll(buf, &end, 10);
	return *end == '\0' && *out >= 0 ? 0 : -1;
}

static int redis_notify_detector(const char *word, size_t len,
    enum detector *out)
{
	char buf[16];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, word, len);
	buf[len] = '\0';
	return detector_from_name(buf, out);
}

int redis_notify_apply(struct store_known *known, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *w[6];
	size_t wl[6];
	struct host_key key;
	enum detector d;
	int64_t until, start, count;

	for (int i = 0; i < 6; i++)
		wl[i] = redis_notify_word(&p, end, &w[i]);
	if (wl[0] == 1 && w[0][0] == 'u' && wl[2] == 0) {
		if (redis_notify_key_parse(w[1], wl[1], &key) < 0)
			return -1;
		store_known_forget(known, &key);
		return 0;
	}
	if (wl[0] != 1 || w[0][0] != 'b' || p != end ||
	    redis_notify_detector(w[1], wl[1], &d) < 0 ||
	    redis_notify_number(w[2], wl[2], &until) < 0 ||
	    redis_notify_number(w[3], wl[3], &start) < 0 ||
	    redis_notify_number(w[4], wl[4], &count) < 0 || count > UINT32_MAX ||
	    redis_notify_key_parse(w[5], wl[5], &key) < 0)
		return -1;
	store_known_learn(known, &key, d, until, start, (uint32_t)count);
	return 0;
}

struct redis_notify *redis_notify_new(struct store_known *known,
    const char *channel, unsigned timeout_ms, redis_notify_pool_fn *pool_fn,
    redis_notify_fn *synced, redis_notify_fn *tick, void *arg)
{
	struct redis_notify *n = xcalloc(1, sizeof(*n));

	pthread_once(&redis_notify_once, redis_notify_atfork);
	n->pool_fn = pool_fn;
	n->known = known;
	n->channel = xstrdup(channel);
	n->timeout_ms = timeout_ms;
	n->synced = synced;
	n->tick = tick;
	n->arg = arg;
	pthread_mutex_init(&n->start_lock, NULL);
	return n;
}

static int64_t redis_notify_ms(void)
{
	return redis_monotonic_ns() / 1000000;
}

/* SUBSCRIBE on a new connection of our own; NULL when that failed. */
static struct redis_conn *redis_notify_connect(struct redis_notify *n)
{
	char err[REDIS_NOTIFY_ERROR_MAX];
	int64_t deadline = redis_deadline(n->timeout_ms);
	const char *argv[] = { "SUBSCRIBE", n->channel };
	struct redis_pool *pool = n->pool_fn(n->arg);
	struct redis_conn *conn;
	redisReply *reply;
	bool ok;

	if (pool == NULL || redis_pool_connect_own(pool, deadline, &conn, err,
	    sizeof(err)) < 0)
		return NULL;
	n->pool = pool;
	reply = redis_conn_command(conn, deadline, 2, argv, NULL, err,
	    sizeof(err));
	ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 3;
	freeReplyObject(reply);
	if (!ok) {
		redis_conn_close(conn);
		return NULL;
	}
	atomic_store(&n->subscribed, true);
	n->synced(n->arg);
	return conn;
}

static void redis_notify_message(struct redis_notify *n,
    const redisReply *reply)
{
	const redisReply *msg;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(reply->element[0]->str, "message") != 0)
		return;
	msg = reply->element[2];
	if (msg->type == REDIS_REPLY_STRING)
		redis_notify_apply(n->known, msg->str, msg->len);
}

/*
 * Messages until a slice passes without one or the tick is due (a steady
 * stream of messages must not starve the tick), or the connection ends.
 */
static struct redis_conn *redis_notify_listen(struct redis_notify *n,
    struct redis_conn *conn, int64_t next_tick)
{
	char err[REDIS_NOTIFY_ERROR_MAX];
	redisReply *reply;
	int rc;

	while ((rc = redis_conn_wait(conn, REDIS_NOTIFY_SLICE_MS, &reply, err,
	    sizeof(err))) == 1) {
		redis_notify_message(n, reply);
		freeReplyObject(reply);
		if (atomic_load(&n->stopping) || redis_notify_ms() >= next_tick)
			break;
	}
	if (rc >= 0 && redis_pool_current(n->pool, conn))
		return conn;
	atomic_store(&n->subscribed, false);
	redis_conn_close(conn);
	return NULL;
}

static void redis_notify_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000 };

	nanosleep(&ts, NULL);
}

static void *redis_notify_main(void *arg)
{
	struct redis_notify *n = arg;
	struct redis_conn *conn = NULL;
	int64_t next_tick = 0, next_connect = 0, now;

	while (!atomic_load(&n->stopping)) {
		now = redis_notify_ms();
		if (conn == NULL && now >= next_connect) {
			conn = redis_notify_connect(n);
			next_connect = now + REDIS_NOTIFY_SLICE_MS * 2;
		}
		if (conn != NULL)
			conn = redis_notify_listen(n, conn, next_tick);
		else
			redis_notify_sleep_ms(REDIS_NOTIFY_SLICE_MS);
		if ((now = redis_notify_ms()) >= next_tick) {
			n->tick(n->arg);
			next_tick = now + REDIS_NOTIFY_TICK_MS;
		}
	}
	atomic_store(&n->subscribed, false);
	redis_conn_close(conn);
	return NULL;
}

void redis_notify_run(struct redis_notify *n)
{
	unsigned gen = atomic_load_explicit(&redis_notify_generation,
	    memory_order_relaxed);
	sigset_t all, saved;

	if (atomic_load_explicit(&n->generation, memory_order_acquire) == gen)
		return;
	pthread_mutex_lock(&n->start_lock);
	if (atomic_load(&n->generation) != gen) {
		atomic_store(&n->stopping, false);
		atomic_store(&n->subscribed, false);
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &saved);
		if (pthread_create(&n->thread, NULL, redis_notify_main, n) == 0)
			atomic_store_explicit(&n->generation, gen,
			    memory_order_release);
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
	}
	pthread_mutex_unlock(&n->start_lock);
}

bool redis_notify_subscribed(struct redis_notify *n)
{
	return atomic_load(&n->subscribed);
}

void redis_notify_free(struct redis_notify *n)
{
	if (n == NULL)
		return;
	if (atomic_load(&n->generation) == atomic_load(&redis_notify_generation)) {
		atomic_store(&n->stopping, true);
		pthread_join(n->thread, NULL);
	}
	pthread_mutex_destroy(&n->start_lock);
	free(n->channel);
	free(n);
}
