/*
 * check_redis_resolve.c - host names in redis.server and redis.sentinels
 * are looked up when the pool opens, never afterwards: not when it
 * connects again, not when it asks the sentinels.
 *
 * This program defines getaddrinfo() itself, counting the calls made for
 * a name (not a numeric address) before handing them to the C library's;
 * hiredis and the pool reach it through the usual symbol lookup, so every
 * name lookup of the process is counted.  The servers are real ones,
 * started in a temporary directory, reached as "localhost".
 */
#include <arpa/inet.h>
#include <check.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "redis_pool.h"
#include "redis_servers.h"
#include "xalloc.h"

static atomic_uint name_lookups;

typedef int getaddrinfo_fn(const char *, const char *,
    const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static getaddrinfo_fn *real;
	unsigned char buf[sizeof(struct in6_addr)];

	if (real == NULL)
		real = (getaddrinfo_fn *)dlsym(RTLD_NEXT, "getaddrinfo");
	if (node != NULL && inet_pton(AF_INET, node, buf) != 1 &&
	    inet_pton(AF_INET6, node, buf) != 1)
		atomic_fetch_add(&name_lookups, 1);
	return real(node, service, hints, res);
}

static struct config *cfg_with(const char *server)
{
	struct config *cfg = config_defaults();

	free(cfg->redis.server);
	cfg->redis.server = xstrdup(server);
	cfg->redis.pool_size = 2;
	cfg->redis.timeout_ms = 1000;
	return cfg;
}

/* Names were looked up while the pool opened, none since. */
static void assert_lookups(unsigned before, unsigned at_open)
{
	unsigned since = atomic_load(&name_lookups) - at_open;

	ck_assert_msg(since == 0, "%u name lookups after open", since);
	ck_assert_msg(at_open > before, "no name lookup while opening");
}

/* PING through the pool, then close the connection (ok false). */
static void ping_and_drop(struct redis_pool *pool)
{
	const char *argv[] = { "PING" };
	struct redis_conn *conn;
	redisReply *reply;
	char err[256];

	ck_assert_msg(redis_pool_get(pool, redis_deadline(1000), &conn, err,
	    sizeof(err)) == 0, "%s", err);
	reply = redis_conn_command(conn, redis_deadline(1000), 1, argv, NULL,
	    err, sizeof(err));
	ck_assert_msg(reply != NULL, "%s", err);
	ck_assert_int_eq(reply->type, REDIS_REPLY_STATUS);
	freeReplyObject(reply);
	redis_pool_put(pool, conn, false);
}

START_TEST(server_name_resolved_at_open_only)
{
	struct rs_server srv;
	struct redis_pool *pool;
	struct config *cfg;
	char server[64], err[256];
	unsigned before, at_open;

	ck_assert_int_eq(rs_start(&srv, true, NULL), 0);
	snprintf(server, sizeof(server), "localhost:%d", srv.port);
	cfg = cfg_with(server);
	before = atomic_load(&name_lookups);
	pool = redis_pool_open(&cfg->redis, err, sizeof(err));
	ck_assert_msg(pool != NULL, "%s", err);
	at_open = atomic_load(&name_lookups);
	for (int i = 0; i < 20; i++)
		ping_and_drop(pool);
	assert_lookups(before, at_open);
	redis_pool_close(pool);
	config_unref(cfg);
	rs_stop(&srv);
}
END_TEST

START_TEST(sentinel_names_resolved_at_open_only)
{
	struct rs_server master, sen;
	struct redis_pool *pool;
	struct config *cfg = cfg_with("");
	struct redis_config *rc = &cfg->redis;
	char err[256];
	unsigned before, at_open;
	int64_t until;

	ck_assert_int_eq(rs_start(&master, true, NULL), 0);
	ck_assert_int_eq(rs_sentinel_start(&sen, master.port), 0);
	rc->sentinels = xcalloc(1, sizeof(char *));
	rc->sentinels[0] = xcalloc(1, 32);
	snprintf(rc->sentinels[0], 32, "localhost:%d", sen.port);
	rc->sentinel_count = 1;
	free(rc->master_name);
	rc->master_name = xstrdup("bw");
	before = atomic_load(&name_lookups);
	pool = redis_pool_open(rc, err, sizeof(err));
	ck_assert_msg(pool != NULL, "%s", err);
	at_open = atomic_load(&name_lookups);
	/* Long enough for the periodic questions to the sentinel. */
	until = rs_ms_now() + 2500;
	while (rs_ms_now() < until) {
		ping_and_drop(pool);
		rs_sleep_ms(50);
	}
	assert_lookups(before, at_open);
	redis_pool_close(pool);
	config_unref(cfg);
	rs_stop(&sen);
	rs_stop(&master);
}
END_TEST

START_TEST(unknown_name_refused_at_open)
{
	struct config *cfg = cfg_with("no-such-host.invalid:6379");
	char err[256];

	ck_assert_ptr_null(redis_pool_open(&cfg->redis, err, sizeof(err)));
	ck_assert_msg(strstr(err, "cannot resolve no-such-host.invalid") != NULL,
	    "%s", err);
	config_unref(cfg);
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *suite = suite_create("redis_resolve");
	TCase *tc = tcase_create("resolve");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, server_name_resolved_at_open_only);
	tcase_add_test(tc, sentinel_names_resolved_at_open_only);
	tcase_add_test(tc, unknown_name_refused_at_open);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return rs_main("check_redis_resolve", resolve_suite());
}
