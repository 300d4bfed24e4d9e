/*
 * check_redis_failover.c - a Sentinel failover under load, against real
 * processes started in a temporary directory: a master, its replica and
 * three sentinels.
 *
 * LOAD_THREADS threads write through one pool as fast as they can; each
 * write sets its own bit (SETBIT) and is counted as acknowledged when the
 * pool returns its reply.  SENTINEL FAILOVER is sent to the last sentinel
 * of the pool's list, so the first ones, which the pool asks every second,
 * learn of the new master only later (a pool that believed them would go
 * back to the old master).  Afterwards the bits are read from the new
 * master: an acknowledged write whose bit is missing was lost, written to
 * the old master after the replica took over.
 *
 * A second test forks after the pool was first used, as the daemon does,
 * and checks that the child follows a failover too.
 *
 * Printed: writes acknowledged and lost (and what the loss is in time at
 * the run's average rate), the span of time over which the lost writes
 * were acknowledged, errors, the worst reply latency.  Asserted: that
 * span is under LOST_MAX_MS (the old master took writes for about 11 s
 * before the pool followed Sentinel only on a new connection), and
 * writes after the failover reached the new master.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "redis_pool.h"
#include "redis_servers.h"
#include "xalloc.h"

#define LOAD_THREADS	4
#define BEFORE_MS	1000	/* load before SENTINEL FAILOVER */
#define AFTER_MS	5000	/* and after it */
#define LOST_MAX_MS	2500
#define TIMEOUT_MS	200

/* A replica synced at once, not after the default 5 s delay. */
static const char *const diskless[] = { "--repl-diskless-sync-delay", "0",
    NULL };

struct load {
	pthread_t thread;
	struct redis_pool *pool;
	char key[16];
	int64_t *acked_ms;		/* per write: when acknowledged, 0: not */
	size_t writes;
	size_t room;
	unsigned errors;
	int64_t worst_ms;		/* slowest get + command + put */
};

static atomic_bool load_stop;

static void load_one(struct load *l)
{
	char seq[24], err[256];
	const char *argv[] = { "SETBIT", l->key, seq, "1" };
	int64_t start = rs_ms_now(), took;
	struct redis_conn *conn;
	redisReply *reply = NULL;

	if (l->writes == l->room) {
		l->room = l->room * 2 + 4096;
		l->acked_ms = realloc(l->acked_ms, l->room * sizeof(*l->acked_ms));
		ck_assert_ptr_nonnull(l->acked_ms);
	}
	snprintf(seq, sizeof(seq), "%zu", l->writes);
	l->acked_ms[l->writes] = 0;
	if (redis_pool_get(l->pool, redis_deadline(TIMEOUT_MS), &conn, err,
	    sizeof(err)) == 0) {
		reply = redis_conn_command(conn, redis_deadline(TIMEOUT_MS), 4,
		    argv, NULL, err, sizeof(err));
		redis_pool_put(l->pool, conn, reply != NULL &&
		    reply->type == REDIS_REPLY_INTEGER);
	}
	took = rs_ms_now() - start;
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
		l->acked_ms[l->writes] = rs_ms_now();
	else
		l->errors++;
	if (reply != NULL)
		freeReplyObject(reply);
	if (took > l->worst_ms)
		l->worst_ms = took;
	l->writes++;
}

static void *load_main(void *arg)
{
	struct load *l = arg;

	while (!atomic_load(&load_stop))
		load_one(l);
	return NULL;
}

static bool replica_synced(const struct rs_server *replica, int unused)
{
	redisReply *reply = rs_command(replica, "INFO replication");
	bool up = reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    strstr(reply->str, "master_link_status:up") != NULL;

	if (reply != NULL)
		freeReplyObject(reply);
	return up;
}

static bool sentinel_sees_replica(const struct rs_server *sen, int unused)
{
	redisReply *reply = rs_command(sen, "SENTINEL replicas bw");
	bool seen = reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements > 0;

	if (reply != NULL)
		freeReplyObject(reply);
	return seen;
}

static bool sentinel_names(const struct rs_server *sen, int port)
{
	redisReply *reply = rs_command(sen, "SENTINEL get-master-addr-by-name bw");
	bool named = reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2 && atoi(reply->element[1]->str) == port;

	if (reply != NULL)
		freeReplyObject(reply);
	return named;
}

/*
 * SENTINEL FAILOVER, retried for a while: a sentinel refuses it until it
 * has heard from the replica itself (NOGOODSLAVE).  The last error is
 * copied to err.
 */
static bool failover(const struct rs_server *sen, char *err, size_t errlen)
{
	int64_t until = rs_ms_now() + 5000;

	snprintf(err, errlen, "no reply");
	while (rs_ms_now() < until) {
		redisReply *reply = rs_command(sen, "SENTINEL FAILOVER bw");
		bool ok = reply != NULL && reply->type == REDIS_REPLY_STATUS;

		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			snprintf(err, errlen, "%s", reply->str);
		if (reply != NULL)
			freeReplyObject(reply);
		if (ok)
			return true;
		rs_sleep_ms(100);
	}
	return false;
}

static struct redis_pool *pool_on_sentinels(const struct rs_server *sen,
    size_t count)
{
	struct config *cfg = config_defaults();
	struct redis_config *rc = &cfg->redis;
	struct redis_pool *pool;
	char err[256];

	rc->sentinels = xcalloc(count, sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		rc->sentinels[i] = xcalloc(1, 32);
		snprintf(rc->sentinels[i], 32, "127.0.0.1:%d", sen[i].port);
	}
	rc->sentinel_count = count;
	free(rc->master_name);
	rc->master_name = xstrdup("bw");
	rc->timeout_ms = TIMEOUT_MS;
	rc->pool_size = LOAD_THREADS;
	pool = redis_pool_open(rc, err, sizeof(err));
	ck_assert_msg(pool != NULL, "%s", err);
	config_unref(cfg);
	return pool;
}

static bool bit_set(const redisReply *bits, size_t seq)
{
	return bits->type == REDIS_REPLY_STRING && seq / 8 < bits->len &&
	    (((unsigned char)bits->str[seq / 8] >> (7 - seq % 8)) & 1) != 0;
}

struct tally {
	size_t acked, lost, kept_late;
	int64_t first_lost, last_lost;	/* ms after the failover command */
	unsigned errors;
	int64_t worst_ms;
};

/* Compare what the threads were told with what the new master holds. */
static void tally_load(const struct load *l, const struct rs_server *master,
    int64_t failover_ms, struct tally *t)
{
	redisReply *bits = rs_command(master, "GET %s", l->key);

	ck_assert_ptr_nonnull(bits);
	for (size_t i = 0; i < l->writes; i++) {
		int64_t at = l->acked_ms[i] - failover_ms;

		if (l->acked_ms[i] == 0)
			continue;
		t->acked++;
		if (bit_set(bits, i)) {
			if (at > AFTER_MS - 1000)
				t->kept_late++;
			continue;
		}
		if (t->lost++ == 0 || at < t->first_lost)
			t->first_lost = at;
		if (t->lost == 1 || at > t->last_lost)
			t->last_lost = at;
	}
	t->errors += l->errors;
	if (l->worst_ms > t->worst_ms)
		t->worst_ms = l->worst_ms;
	freeReplyObject(bits);
}

START_TEST(failover_under_load)
{
	const char *replicaof[] = { "--replicaof", "127.0.0.1", NULL, NULL };
	struct rs_server master, replica, sen[3];
	struct load load[LOAD_THREADS];
	struct tally t = { 0 };
	char master_port[16];
	struct redis_pool *pool;
	int64_t start, failover_ms, named_ms, end;
	char err[256];
	double rate, lost_ms;

	ck_assert_int_eq(rs_start(&master, true, diskless), 0);
	snprintf(master_port, sizeof(master_port), "%d", master.port);
	replicaof[2] = master_port;
	ck_assert_int_eq(rs_start(&replica, true, replicaof), 0);
	ck_assert(rs_until(replica_synced, &replica, 0, 5000));
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(rs_sentinel_start(&sen[i], master.port), 0);
		ck_assert(rs_until(sentinel_sees_replica, &sen[i], 0, 5000));
	}
	pool = pool_on_sentinels(sen, 3);

	memset(load, 0, sizeof(load));
	atomic_store(&load_stop, false);
	for (size_t i = 0; i < LOAD_THREADS; i++) {
		load[i].pool = pool;
		snprintf(load[i].key, sizeof(load[i].key), "load:%zu", i);
		ck_assert_int_eq(pthread_create(&load[i].thread, NULL, load_main,
		    &load[i]), 0);
	}
	start = rs_ms_now();
	rs_sleep_ms(BEFORE_MS);
	ck_assert_msg(failover(&sen[2], err, sizeof(err)),
	    "SENTINEL FAILOVER: %s", err);
	failover_ms = rs_ms_now();
	ck_assert(rs_until(sentinel_names, &sen[2], replica.port, AFTER_MS));
	named_ms = rs_ms_now() - failover_ms;
	rs_sleep_ms((unsigned)(failover_ms + AFTER_MS - rs_ms_now()));
	atomic_store(&load_stop, true);
	for (size_t i = 0; i < LOAD_THREADS; i++)
		pthread_join(load[i].thread, NULL);
	end = rs_ms_now();
	redis_pool_close(pool);

	for (size_t i = 0; i < LOAD_THREADS; i++) {
		tally_load(&load[i], &replica, failover_ms, &t);
		free(load[i].acked_ms);
	}
	rate = (double)t.acked / (double)(end - start);
	lost_ms = (double)t.lost / rate;
	printf("redis failover: sentinels named the new master %lld ms after "
	    "SENTINEL FAILOVER\n", (long long)named_ms);
	printf("redis failover: %zu writes acknowledged in %lld ms by %d "
	    "threads, %zu lost (%.0f ms at the average rate), %u errors, worst reply "
	    "%lld ms\n", t.acked, (long long)(end - start), LOAD_THREADS,
	    t.lost, lost_ms, t.errors, (long long)t.worst_ms);
	if (t.lost > 0)
		printf("redis failover: lost writes were acknowledged from %lld "
		    "to %lld ms after SENTINEL FAILOVER\n",
		    (long long)t.first_lost, (long long)t.last_lost);
	fflush(stdout);
	ck_assert_msg(t.lost == 0 || t.last_lost - t.first_lost < LOST_MAX_MS,
	    "%zu writes lost, acknowledged over %lld ms", t.lost,
	    (long long)(t.last_lost - t.first_lost));
	ck_assert_msg(t.kept_late > 0, "no write of the last second reached "
	    "the new master");

	for (size_t i = 0; i < 3; i++)
		rs_stop(&sen[i]);
	rs_stop(&replica);
	rs_stop(&master);
}
END_TEST

/* One INCR of key through pool; its reply, or -1. */
static long long incr(struct redis_pool *pool, const char *key)
{
	const char *argv[] = { "INCR", key };
	struct redis_conn *conn;
	redisReply *reply = NULL;
	long long n = -1;
	char err[256];

	if (redis_pool_get(pool, redis_deadline(TIMEOUT_MS), &conn, err,
	    sizeof(err)) < 0)
		return -1;
	reply = redis_conn_command(conn, redis_deadline(TIMEOUT_MS), 2, argv,
	    NULL, err, sizeof(err));
	redis_pool_put(pool, conn, reply != NULL &&
	    reply->type == REDIS_REPLY_INTEGER);
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
		n = reply->integer;
	if (reply != NULL)
		freeReplyObject(reply);
	return n;
}

static long long server_get(const struct rs_server *srv, const char *key)
{
	redisReply *reply = rs_command(srv, "GET %s", key);
	long long n = reply != NULL && reply->type == REDIS_REPLY_STRING ?
	    atoll(reply->str) : -1;

	if (reply != NULL)
		freeReplyObject(reply);
	return n;
}

/*
 * In a child forked after the pool was used (the daemon opens its store
 * before it detaches): fail over and, once the sentinel names the new
 * master, write until a write lands there.  Exit 0 when one did within
 * LOST_MAX_MS.
 */
static void fork_child(struct redis_pool *pool, const struct rs_server *sen,
    const struct rs_server *replica)
{
	int64_t until;
	char err[256];
	long long n;

	if (!failover(sen, err, sizeof(err))) {
		fprintf(stderr, "SENTINEL FAILOVER: %s\n", err);
		_exit(2);
	}
	/* Until then the replica still copies what the old master takes. */
	if (!rs_until(sentinel_names, sen, replica->port, AFTER_MS))
		_exit(3);
	until = rs_ms_now() + LOST_MAX_MS;
	while (rs_ms_now() < until) {
		if ((n = incr(pool, "fork")) > 0 && server_get(replica, "fork") == n)
			_exit(0);
		rs_sleep_ms(20);
	}
	_exit(1);
}

START_TEST(failover_followed_after_fork)
{
	const char *replicaof[] = { "--replicaof", "127.0.0.1", NULL, NULL };
	struct rs_server master, replica, sen;
	struct redis_pool *pool;
	char master_port[16];
	int status;
	pid_t pid;

	ck_assert_int_eq(rs_start(&master, true, diskless), 0);
	snprintf(master_port, sizeof(master_port), "%d", master.port);
	replicaof[2] = master_port;
	ck_assert_int_eq(rs_start(&replica, true, replicaof), 0);
	ck_assert(rs_until(replica_synced, &replica, 0, 5000));
	ck_assert_int_eq(rs_sentinel_start(&sen, master.port), 0);
	ck_assert(rs_until(sentinel_sees_replica, &sen, 0, 5000));
	pool = pool_on_sentinels(&sen, 1);
	ck_assert_int_eq(incr(pool, "fork"), 1);
	if ((pid = fork()) == 0)
		fork_child(pool, &sen, &replica);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the forked child did not follow the failover (status %d)", status);
	redis_pool_close(pool);
	rs_stop(&sen);
	rs_stop(&replica);
	rs_stop(&master);
}
END_TEST

static Suite *failover_suite(void)
{
	Suite *suite = suite_create("redis_failover");
	TCase *tc = tcase_create("sentinel");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, failover_under_load);
	tcase_add_test(tc, failover_followed_after_fork);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return rs_main("check_redis_failover", failover_suite());
}
