/*
 * redis_sentinel.c - the thread that follows the sentinels' master.  See
 * redis_sentinel.h for the contract.
 *
 * The thread holds busy whenever it is not asleep in poll(), so its
 * connections and beliefs are consistent whenever another thread holds
 * busy: the fork handler takes every watcher's busy before fork(), which
 * lets the child discard the (absent) thread's connections and start a
 * new thread.  The store is opened before the daemon detaches, so this is
 * the ordinary path, not a corner case.  Locks, in the order they are
 * taken: the fork registry's, start_lock, busy, then error_lock or the
 * pool's own (in found()).
 *
 * Sentinels publish +switch-master right after adopting the new master,
 * so the sentinel that published it answers SENTINEL MASTER with the new
 * config-epoch; the others learn it a second or two later, which is what
 * the epoch rule is for.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "redis_pool.h"
#include "redis_sentinel.h"
#include "xalloc.h"

#define REDIS_SENTINEL_CHANNEL	"+switch-master"
#define REDIS_SENTINEL_ERROR_MAX 1024
#define REDIS_NS_PER_MS		1000000

struct redis_sentinel_sub {
	redisContext *ctx;		/* subscribed, or NULL */
	int64_t retry_ns;		/* while NULL: next attempt */
};

struct redis_sentinel {
	struct redis_endpoint *sentinels;
	size_t count;
	char *master_name;
	unsigned timeout_ms;
	redis_sentinel_found_fn *found;
	void *arg;
	int wake_fd;

	pthread_mutex_t busy;		/* guards what follows, up to start_lock */
	struct redis_sentinel_sub *subs;
	struct pollfd *pfds;		/* wake_fd, then subscriptions */
	size_t *pfd_sub;		/* pfds[i + 1] is subs[pfd_sub[i]] */
	size_t first;			/* the sentinel that answered last */
	bool known;
	struct redis_endpoint master;
	int64_t epoch;			/* config-epoch of master, -1: none */
	int64_t last_check_ns;

	pthread_mutex_t start_lock;	/* taken before busy */
	pthread_mutex_t error_lock;	/* taken with busy held */
	char error[REDIS_SENTINEL_ERROR_MAX];
	pthread_t thread;
	atomic_bool running;		/* a thread runs in this process */
	atomic_bool stopping;
	atomic_bool soon;

	struct redis_sentinel *next;	/* in the fork registry */
};

static pthread_mutex_t redis_sentinel_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct redis_sentinel *redis_sentinel_registry;
static pthread_once_t redis_sentinel_once = PTHREAD_ONCE_INIT;

static void redis_sentinel_fork_prepare(void)
{
	pthread_mutex_lock(&redis_sentinel_registry_lock);
	for (struct redis_sentinel *w = redis_sentinel_registry; w; w = w->next)
		pthread_mutex_lock(&w->busy);
}

static void redis_sentinel_fork_parent(void)
{
	for (struct redis_sentinel *w = redis_sentinel_registry; w; w = w->next)
		pthread_mutex_unlock(&w->busy);
	pthread_mutex_unlock(&redis_sentinel_registry_lock);
}

static void redis_sentinel_fork_child(void)
{
	for (struct redis_sentinel *w = redis_sentinel_registry; w; w = w->next) {
		pthread_mutex_unlock(&w->busy);
		atomic_store(&w->running, false);
	}
	pthread_mutex_unlock(&redis_sentinel_registry_lock);
}

static void redis_sentinel_atfork(void)
{
	pthread_atfork(redis_sentinel_fork_prepare, redis_sentinel_fork_parent,
	    redis_sentinel_fork_child);
}

static void redis_sentinel_set_error(struct redis_sentinel *w,
    const char *err)
{
	pthread_mutex_lock(&w->error_lock);
	snprintf(w->error, sizeof(w->error), "%s", err);
	pthread_mutex_unlock(&w->error_lock);
}

void redis_sentinel_error(struct redis_sentinel *w, char *err, size_t errlen)
{
	pthread_mutex_lock(&w->error_lock);
	snprintf(err, errlen, "%s", w->error);
	pthread_mutex_unlock(&w->error_lock);
}

struct redis_sentinel *redis_sentinel_new(const struct redis_endpoint *sentinels,
    size_t count, const char *master_name, unsigned timeout_ms,
    redis_sentinel_found_fn *found, void *arg)
{
	struct redis_sentinel *w = xcalloc(1, sizeof(*w));

	pthread_once(&redis_sentinel_once, redis_sentinel_atfork);
	w->sentinels = xcalloc(count, sizeof(*w->sentinels));
	memcpy(w->sentinels, sentinels, count * sizeof(*sentinels));
	w->count = count;
	w->master_name = xstrdup(master_name);
	w->timeout_ms = timeout_ms;
	w->found = found;
	w->arg = arg;
	w->subs = xcalloc(count, sizeof(*w->subs));
	w->pfds = xcalloc(count + 1, sizeof(*w->pfds));
	w->pfd_sub = xcalloc(count, sizeof(*w->pfd_sub));
	w->epoch = -1;
	if ((w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		fprintf(stderr, "bulwark: eventfd: %s\n", strerror(errno));
		abort();
	}
	pthread_mutex_init(&w->busy, NULL);
	pthread_mutex_init(&w->start_lock, NULL);
	pthread_mutex_init(&w->error_lock, NULL);
	pthread_mutex_lock(&redis_sentinel_registry_lock);
	w->next = redis_sentinel_registry;
	redis_sentinel_registry = w;
	pthread_mutex_unlock(&redis_sentinel_registry_lock);
	return w;
}

static void redis_sentinel_wake(struct redis_sentinel *w)
{
	uint64_t one = 1;

	(void)!write(w->wake_fd, &one, sizeof(one));
}

void redis_sentinel_check_soon(struct redis_sentinel *w)
{
	if (!atomic_exchange(&w->soon, true))
		redis_sentinel_wake(w);
}

/* Connect to sentinel s with every socket wait bounded by deadline. */
static redisContext *redis_sentinel_connect(struct redis_sentinel *w,
    size_t s, int64_t deadline, char *err, size_t errlen)
{
	redisContext *c = redis_endpoint_connect(&w->sentinels[s], deadline,
	    err, errlen);
	struct timeval tv;
	int64_t left;

	if (c == NULL)
		return NULL;
	if (redis_endpoint_time_left(deadline, &left, &tv) == 0 &&
	    redisSetTimeout(c, tv) == REDIS_OK)
		return c;
	snprintf(err, errlen, "sentinel %s: timed out", w->sentinels[s].host);
	redisFree(c);
	return NULL;
}

static const redisReply *redis_sentinel_field(const redisReply *reply,
    const char *name)
{
	for (size_t i = 0; i + 1 < reply->elements; i += 2) {
		if (reply->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(reply->element[i]->str, name) == 0 &&
		    reply->element[i + 1]->type == REDIS_REPLY_STRING)
			return reply->element[i + 1];
	}
	return NULL;
}

/* ip, port and config-epoch of a SENTINEL MASTER reply. */
static int redis_sentinel_parse(const redisReply *reply,
    struct redis_endpoint *master, int64_t *epoch)
{
	const redisReply *ip, *port, *ep;
	char *end;

	if (reply->type != REDIS_REPLY_ARRAY ||
	    (ip = redis_sentinel_field(reply, "ip")) == NULL ||
	    (port = redis_sentinel_field(reply, "port")) == NULL ||
	    (ep = redis_sentinel_field(reply, "config-epoch")) == NULL)
		return -1;
	memset(master, 0, sizeof(*master));
	if (redis_endpoint_host_set(master, ip->str, ip->len) < 0 ||
	    redis_endpoint_port_parse(port->str, &master->port) < 0)
		return -1;
	errno = 0;
	*epoch = strtoll(ep->str, &end, 10);
	return errno == 0 && end != ep->str && *end == '\0' && *epoch >= 0 ?
	    0 : -1;
}

/* SENTINEL MASTER master_name, asked of sentinel s; master resolved. */
static int redis_sentinel_ask(struct redis_sentinel *w, size_t s,
    struct redis_endpoint *master, int64_t *epoch, char *err, size_t errlen)
{
	const char *argv[] = { "SENTINEL", "MASTER", w->master_name };
	redisContext *c = redis_sentinel_connect(w, s,
	    redis_deadline(w->timeout_ms), err, errlen);
	redisReply *reply;
	int rc = -1;

	if (c == NULL)
		return -1;
	reply = redisCommandArgv(c, 3, argv, NULL);
	if (reply == NULL)
		snprintf(err, errlen, "sentinel %s: %s", w->sentinels[s].host,
		    c->err ? c->errstr : "no reply");
	else if (redis_sentinel_parse(reply, master, epoch) < 0)
		snprintf(err, errlen, "sentinel %s port %d does not know master %s",
		    w->sentinels[s].host, w->sentinels[s].port, w->master_name);
	else
		rc = redis_endpoint_resolve(master, err, errlen);
	if (reply != NULL)
		freeReplyObject(reply);
	redisFree(c);
	return rc;
}

/* Settle on master unless the epoch rule says the news is stale. */
static void redis_sentinel_believe(struct redis_sentinel *w,
    const struct redis_endpoint *master, int64_t epoch, const char *source)
{
	char text[REDIS_ENDPOINT_TEXT_MAX];

	if (w->known && epoch >= 0 && (epoch < w->epoch ||
	    (epoch == w->epoch && !redis_endpoint_same(master, &w->master))))
		return;
	if (epoch >= 0)
		w->epoch = epoch;
	if (w->known && redis_endpoint_same(master, &w->master))
		return;
	w->master = *master;
	w->known = true;
	redis_endpoint_text(master, text, sizeof(text));
	log_notice("event=redis-master master=%s name=%s source=%s", text,
	    w->master_name, source);
	w->found(w->arg, &w->master);
}

static void redis_sentinel_check(struct redis_sentinel *w)
{
	char err[REDIS_SENTINEL_ERROR_MAX] = "no sentinel configured";
	struct redis_endpoint master;
	int64_t epoch;

	for (size_t i = 0; i < w->count; i++) {
		size_t s = (w->first + i) % w->count;

		if (redis_sentinel_ask(w, s, &master, &epoch, err,
		    sizeof(err)) == 0) {
			w->first = s;
			redis_sentinel_believe(w, &master, epoch, "sentinels");
			redis_sentinel_set_error(w, w->known ? "" : err);
			return;
		}
	}
	redis_sentinel_set_error(w, err);
}

/* "<name> <old ip> <old port> <new ip> <new port>" from sentinel s. */
static void redis_sentinel_switch(struct redis_sentinel *w, size_t s,
    const char *payload, size_t len)
{
	char buf[2 * REDIS_HOST_MAX + 64], *tok[5], *save = NULL;
	char err[REDIS_SENTINEL_ERROR_MAX];
	struct redis_endpoint master;
	int64_t epoch;
	size_t n = 0;

	if (len >= sizeof(buf))
		return;
	memcpy(buf, payload, len);
	buf[len] = '\0';
	for (char *p = strtok_r(buf, " ", &save); p != NULL && n < 5;
	    p = strtok_r(NULL, " ", &save))
		tok[n++] = p;
	if (n != 5 || strcmp(tok[0], w->master_name) != 0)
		return;
	memset(&master, 0, sizeof(master));
	if (redis_endpoint_host_set(&master, tok[3], strlen(tok[3])) < 0 ||
	    redis_endpoint_port_parse(tok[4], &master.port) < 0)
		return;
	if (redis_endpoint_resolve(&master, err, sizeof(err)) < 0) {
		redis_sentinel_set_error(w, err);
		return;
	}
	redis_sentinel_believe(w, &master, -1, "switch-master");
	if (redis_sentinel_ask(w, s, &master, &epoch, err, sizeof(err)) == 0)
		redis_sentinel_believe(w, &master, epoch, "sentinels");
}

static void redis_sentinel_message(struct redis_sentinel *w, size_t s,
    const redisReply *r)
{
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "message") == 0 &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[1]->str, REDIS_SENTINEL_CHANNEL) == 0 &&
	    r->element[2]->type == REDIS_REPLY_STRING)
		redis_sentinel_switch(w, s, r->element[2]->str,
		    r->element[2]->len);
}

static void redis_sentinel_unsubscribed(struct redis_sentinel *w, size_t s)
{
	if (w->subs[s].ctx != NULL)
		redisFree(w->subs[s].ctx);
	w->subs[s].ctx = NULL;
	w->subs[s].retry_ns = redis_monotonic_ns() +
	    (int64_t)REDIS_SENTINEL_CHECK_MS * REDIS_NS_PER_MS;
}

static void redis_sentinel_subscribe(struct redis_sentinel *w, size_t s)
{
	const char *argv[] = { "SUBSCRIBE", REDIS_SENTINEL_CHANNEL };
	char err[REDIS_SENTINEL_ERROR_MAX];
	redisReply *reply;
	redisContext *c = redis_sentinel_connect(w, s,
	    redis_deadline(w->timeout_ms), err, sizeof(err));

	if (c == NULL) {
		redis_sentinel_unsubscribed(w, s);
		return;
	}
	w->subs[s].ctx = c;
	reply = redisCommandArgv(c, 2, argv, NULL);
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 3 || reply->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(reply->element[0]->str, "subscribe") != 0)
		redis_sentinel_unsubscribed(w, s);
	if (reply != NULL)
		freeReplyObject(reply);
}

static void redis_sentinel_read(struct redis_sentinel *w, size_t s)
{
	redisContext *c = w->subs[s].ctx;
	void *reply;

	if (redisBufferRead(c) != REDIS_OK) {
		redis_sentinel_unsubscribed(w, s);
		return;
	}
	while (redisGetReplyFromReader(c, &reply) == REDIS_OK && reply != NULL) {
		redis_sentinel_message(w, s, reply);
		freeReplyObject(reply);
	}
	if (c->err)
		redis_sentinel_unsubscribed(w, s);
}

/* When the thread must act next, given the next periodic check. */
static int64_t redis_sentinel_next(struct redis_sentinel *w,
    int64_t next_check)
{
	int64_t next = next_check;

	if (atomic_load(&w->soon) && w->last_check_ns +
	    REDIS_SENTINEL_SOON_MS * REDIS_NS_PER_MS < next)
		next = w->last_check_ns + REDIS_SENTINEL_SOON_MS * REDIS_NS_PER_MS;
	for (size_t s = 0; s < w->count; s++) {
		if (w->subs[s].ctx == NULL && w->subs[s].retry_ns < next)
			next = w->subs[s].retry_ns;
	}
	return next;
}

/* Sleep in poll() (busy released) until a message, a wake or next. */
static void redis_sentinel_wait(struct redis_sentinel *w, int64_t next)
{
	int64_t ms = (next - redis_monotonic_ns()) / REDIS_NS_PER_MS + 1;
	size_t n = 0;
	uint64_t count;
	int ready;

	w->pfds[0] = (struct pollfd){ .fd = w->wake_fd, .events = POLLIN };
	for (size_t s = 0; s < w->count; s++) {
		if (w->subs[s].ctx == NULL)
			continue;
		w->pfd_sub[n] = s;
		w->pfds[++n] = (struct pollfd){ .fd = w->subs[s].ctx->fd,
		    .events = POLLIN };
	}
	pthread_mutex_unlock(&w->busy);
	ready = ms > 0 ? poll(w->pfds, n + 1, ms > INT32_MAX ? INT32_MAX :
	    (int)ms) : 0;
	pthread_mutex_lock(&w->busy);
	if (ready <= 0)
		return;
	if (w->pfds[0].revents & POLLIN)
		(void)!read(w->wake_fd, &count, sizeof(count));
	for (size_t i = 0; i < n; i++) {
		if (w->pfds[i + 1].revents != 0)
			redis_sentinel_read(w, w->pfd_sub[i]);
	}
}

static void *redis_sentinel_main(void *arg)
{
	struct redis_sentinel *w = arg;
	int64_t next_check = 0, now;

	pthread_mutex_lock(&w->busy);
	while (!atomic_load(&w->stopping)) {
		now = redis_monotonic_ns();
		if (now >= next_check || (atomic_load(&w->soon) &&
		    now >= w->last_check_ns +
		    REDIS_SENTINEL_SOON_MS * REDIS_NS_PER_MS)) {
			atomic_store(&w->soon, false);
			redis_sentinel_check(w);
			w->last_check_ns = now;
			next_check = now +
			    (int64_t)REDIS_SENTINEL_CHECK_MS * REDIS_NS_PER_MS;
		}
		for (size_t s = 0; s < w->count; s++) {
			if (w->subs[s].ctx == NULL &&
			    redis_monotonic_ns() >= w->subs[s].retry_ns)
				redis_sentinel_subscribe(w, s);
		}
		redis_sentinel_wait(w, redis_sentinel_next(w, next_check));
	}
	pthread_mutex_unlock(&w->busy);
	return NULL;
}

/* Close what a thread left, e.g. the parent's before fork(). */
static void redis_sentinel_reset(struct redis_sentinel *w)
{
	pthread_mutex_lock(&w->busy);
	for (size_t s = 0; s < w->count; s++) {
		if (w->subs[s].ctx != NULL)
			redisFree(w->subs[s].ctx);
		w->subs[s].ctx = NULL;
		w->subs[s].retry_ns = 0;
	}
	pthread_mutex_unlock(&w->busy);
}

int redis_sentinel_run(struct redis_sentinel *w, char *err, size_t errlen)
{
	sigset_t all, saved;
	int rc = 0;

	if (atomic_load(&w->running))
		return 0;
	pthread_mutex_lock(&w->start_lock);
	if (!atomic_load(&w->running)) {
		redis_sentinel_reset(w);
		atomic_store(&w->stopping, false);
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &saved);
		rc = pthread_create(&w->thread, NULL, redis_sentinel_main, w);
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
		if (rc == 0)
			atomic_store(&w->running, true);
		else
			snprintf(err, errlen, "sentinel thread: %s", strerror(rc));
	}
	pthread_mutex_unlock(&w->start_lock);
	return rc == 0 ? 0 : -1;
}

void redis_sentinel_free(struct redis_sentinel *w)
{
	struct redis_sentinel **p;

	if (w == NULL)
		return;
	if (atomic_load(&w->running)) {
		atomic_store(&w->stopping, true);
		redis_sentinel_wake(w);
		pthread_join(w->thread, NULL);
		atomic_store(&w->running, false);
	}
	pthread_mutex_lock(&redis_sentinel_registry_lock);
	for (p = &redis_sentinel_registry; *p != w; p = &(*p)->next)
		;
	*p = w->next;
	pthread_mutex_unlock(&redis_sentinel_registry_lock);
	redis_sentinel_reset(w);
	close(w->wake_fd);
	pthread_mutex_destroy(&w->busy);
	pthread_mutex_destroy(&w->start_lock);
	pthread_mutex_destroy(&w->error_lock);
	free(w->sentinels);
	free(w->master_name);
	free(w->subs);
	free(w->pfds);
	free(w->pfd_sub);
	free(w);
}
