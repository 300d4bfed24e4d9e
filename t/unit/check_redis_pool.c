/*
 * check_redis_pool.c - the connection pool against real redis-server
 * processes started in a temporary directory: which failures condemn a
 * connection (no reply, EOF, timeout, READONLY and the other node-level
 * error replies) and which are about one key (WRONGTYPE, a script's
 * error), as redis_conn_failed() reports them and redis_pool_put() acts
 * on them.
 */
#include <check.h>
#include <sys/stat.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "redis_pool.h"
#include "redis_servers.h"
#include "xalloc.h"

static struct rs_server server;

static void server_setup(void)
{
	static const char *const debug[] = { "--enable-debug-command", "yes",
	    NULL };

	ck_assert_int_eq(rs_start(&server, true, debug), 0);
}

static void server_teardown(void)
{
	rs_stop(&server);
}

static struct redis_pool *pool_on(const struct rs_server *srv)
{
	struct config *cfg = config_defaults();
	struct redis_pool *pool;
	char err[256];

	free(cfg->redis.server);
	cfg->redis.server = xcalloc(1, 32);
	snprintf(cfg->redis.server, 32, "127.0.0.1:%d", srv->port);
	cfg->redis.pool_size = 1;
	pool = redis_pool_open(&cfg->redis, err, sizeof(err));
	ck_assert_msg(pool != NULL, "%s", err);
	config_unref(cfg);
	return pool;
}

/* Run one command (a printf-free argv) on conn; the reply, maybe NULL. */
static redisReply *run(struct redis_conn *conn, unsigned ms, int argc,
    const char **argv)
{
	char err[256];

	return redis_conn_command(conn, redis_deadline(ms), argc, argv, NULL,
	    err, sizeof(err));
}

static long long client_id(struct redis_pool *pool)
{
	const char *argv[] = { "CLIENT", "ID" };
	struct redis_conn *conn;
	redisReply *reply;
	char err[256];
	long long id;

	ck_assert_msg(redis_pool_get(pool, redis_deadline(1000), &conn, err,
	    sizeof(err)) == 0, "%s", err);
	reply = run(conn, 1000, 2, argv);
	ck_assert_ptr_nonnull(reply);
	ck_assert_int_eq(reply->type, REDIS_REPLY_INTEGER);
	id = reply->integer;
	freeReplyObject(reply);
	redis_pool_put(pool, conn, true);
	return id;
}

/* Get the pooled connection, run argv on it, put it back with ok true. */
static bool failed_after(struct redis_pool *pool, int argc, const char **argv,
    int want_type)
{
	struct redis_conn *conn;
	redisReply *reply;
	char err[256];
	bool failed;

	ck_assert_int_eq(redis_pool_get(pool, redis_deadline(1000), &conn, err,
	    sizeof(err)), 0);
	reply = run(conn, 300, argc, argv);
	if (want_type < 0) {
		ck_assert_ptr_null(reply);
	} else {
		ck_assert_ptr_nonnull(reply);
		ck_assert_int_eq(reply->type, want_type);
		freeReplyObject(reply);
	}
	failed = redis_conn_failed(conn);
	redis_pool_put(pool, conn, true);
	return failed;
}

START_TEST(key_errors_keep_the_connection)
{
	struct redis_pool *pool = pool_on(&server);
	const char *set[] = { "SET", "k", "string" };
	const char *hget[] = { "HGET", "k", "f" };
	const char *script[] = { "EVAL", "return redis.error_reply('no')", "0" };
	long long id = client_id(pool);

	ck_assert(!failed_after(pool, 3, set, REDIS_REPLY_STATUS));
	ck_assert(!failed_after(pool, 3, hget, REDIS_REPLY_ERROR));
	ck_assert(!failed_after(pool, 3, script, REDIS_REPLY_ERROR));
	/* Still the same connection: none of these condemned it. */
	ck_assert_int_eq(client_id(pool), id);
	redis_pool_close(pool);
}
END_TEST

START_TEST(readonly_condemns_the_connection)
{
	struct rs_server other;
	struct redis_pool *pool = pool_on(&server);
	const char *set[] = { "SET", "k", "v" };
	long long id = client_id(pool);
	redisReply *reply;

	ck_assert_int_eq(rs_start(&other, true, NULL), 0);
	reply = rs_command(&server, "REPLICAOF 127.0.0.1 %d", other.port);
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	/* Put back with ok true, yet closed: the node is no longer master. */
	ck_assert(failed_after(pool, 3, set, REDIS_REPLY_ERROR));
	ck_assert_int_ne(client_id(pool), id);
	redis_pool_close(pool);
	rs_stop(&other);
}
END_TEST

START_TEST(eof_and_timeout_condemn_the_connection)
{
	struct redis_pool *pool = pool_on(&server);
	const char *ping[] = { "PING" };
	const char *sleep[] = { "DEBUG", "SLEEP", "0.5" };
	long long id = client_id(pool);
	redisReply *reply;

	reply = rs_command(&server, "CLIENT KILL ID %lld", id);
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	ck_assert(failed_after(pool, 1, ping, -1));
	id = client_id(pool);
	ck_assert(failed_after(pool, 3, sleep, -1));
	ck_assert_int_ne(client_id(pool), id);
	redis_pool_close(pool);
}
END_TEST

START_TEST(node_errors_named)
{
	static const char *const node[] = {
		"READONLY You can't write against a read only replica.",
		"LOADING Redis is loading the dataset in memory",
		"MASTERDOWN Link with MASTER is down",
		"BUSY Redis is busy running a script.",
		"NOAUTH Authentication required.",
		"OOM command not allowed when used memory > 'maxmemory'.",
		"MISCONF Redis is configured to save RDB snapshots",
	};
	static const char *const key[] = {
		"WRONGTYPE Operation against a key holding the wrong kind of value",
		"ERR Error running script",
		"NOSCRIPT No matching script.",
		"BUSYKEY Target key name already exists.",
		"ERR value is not an integer or out of range",
	};
	redisReply reply = { .type = REDIS_REPLY_ERROR };

	for (size_t i = 0; i < sizeof(node) / sizeof(node[0]); i++) {
		reply.str = (char *)node[i];
		reply.len = strlen(node[i]);
		ck_assert_msg(redis_reply_node_error(&reply), "%s", node[i]);
	}
	for (size_t i = 0; i < sizeof(key) / sizeof(key[0]); i++) {
		reply.str = (char *)key[i];
		reply.len = strlen(key[i]);
		ck_assert_msg(!redis_reply_node_error(&reply), "%s", key[i]);
	}
	reply.type = REDIS_REPLY_STATUS;
	reply.str = (char *)"READONLY";
	reply.len = 8;
	ck_assert(!redis_reply_node_error(&reply));
	ck_assert(!redis_reply_node_error(NULL));
}
END_TEST

/*
 * A unix socket path longer than a numeric address is used whole: the
 * path here is a link, in a long directory, to the server's socket.
 */
START_TEST(long_unix_path_connects)
{
	const char *ping[] = { "PING" };
	struct rs_server unix_server = { 0 };
	struct config *cfg = config_defaults();
	struct redis_pool *pool;
	char dir[160], path[200], err[256];

	ck_assert_int_eq(rs_start(&unix_server, false, NULL), 0);
	snprintf(dir, sizeof(dir), "%s/a-directory-name-long-enough-to-pass-62",
	    unix_server.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/r.sock", dir);
	ck_assert_int_eq(symlink(unix_server.sock, path), 0);
	ck_assert_uint_gt(strlen(path), 62);
	ck_assert_uint_lt(strlen(path), 100);
	free(cfg->redis.server);
	cfg->redis.server = xcalloc(1, sizeof(path) + 8);
	snprintf(cfg->redis.server, sizeof(path) + 8, "unix:%s", path);
	pool = redis_pool_open(&cfg->redis, err, sizeof(err));
	ck_assert_msg(pool != NULL, "%s", err);
	config_unref(cfg);
	ck_assert(!failed_after(pool, 1, ping, REDIS_REPLY_STATUS));
	redis_pool_close(pool);
	rs_stop(&unix_server);
}
END_TEST

static Suite *redis_pool_suite(void)
{
	Suite *suite = suite_create("redis_pool");
	TCase *tc = tcase_create("failures");

	tcase_add_checked_fixture(tc, server_setup, server_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, key_errors_keep_the_connection);
	tcase_add_test(tc, readonly_condemns_the_connection);
	tcase_add_test(tc, eof_and_timeout_condemn_the_connection);
	tcase_add_test(tc, node_errors_named);
	tcase_add_test(tc, long_unix_path_connects);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return rs_main("check_redis_pool", redis_pool_suite());
}
