/*
 * check_store_redis.c - the Redis store against real redis-server
 * processes this program starts in temporary directories (never the
 * system's Redis): the conformance suite every backend passes
 * (store_conformance.h), then what is Redis's own: two nodes sharing
 * counts and blocks, a TTL on every key, the memory a host costs, a
 * flushed script cache, a paused, stopped or restarted server, AUTH and
 * SELECT, odd key prefixes, many threads on a small pool, and a sentinel
 * failover; and the script (store_redis.lua) as Redis runs it: the
 * fields it writes, a hash an older version wrote, stale state, an
 * unknown operation.
 *
 * Servers are started with PR_SET_PDEATHSIG, so they die with the
 * process that started them even when a test fails (check's forked tests
 * leave with _exit(), no cleanup); every test stops the ones it started,
 * and their directories, all made in one, are removed at the end.  The
 * shared server must hold an empty database at start, or the program
 * refuses to run.
 */
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "store_conformance.h"
#include "redis_servers.h"
#include "store_redis_lua.h"
#include "test_files.h"
#include "xalloc.h"

#define MARGIN_S	10	/* the TTL margin of store_redis.lua */
#define HOSTS		2000	/* hosts seen once, for the memory test */
#define BYTES_MAX	300	/* what one may cost */

/* One redis-server (or sentinel) this program started. */
struct server {
	pid_t pid;
	char dir[64];
	char sock[128];			/* unix socket, or "" */
	int port;			/* TCP port, or 0 */
};

/* Every server's directory is made in root, removed at the end. */
static char root[32];
static struct server shared;
static struct rule test_rules[DETECTOR_COUNT];

/* Helpers that also run outside tests return -1 instead of asserting. */

static redisContext *server_connect(const struct server *srv)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = srv->port == 0 ?
	    redisConnectUnixWithTimeout(srv->sock, tv) :
	    redisConnectWithTimeout("127.0.0.1", srv->port, tv);

	if (c != NULL && c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK)
		return c;
	if (c != NULL)
		redisFree(c);
	return NULL;
}

static redisReply *server_command(const struct server *srv, const char *fmt, ...)
{
	redisContext *c = server_connect(srv);
	redisReply *reply = NULL;
	va_list ap;

	if (c == NULL)
		return NULL;
	va_start(ap, fmt);
	reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return reply;
}

static int server_wait(const struct server *srv)
{
	int64_t until = rs_ms_now() + 5000;

	while (rs_ms_now() < until) {
		/* Any answer will do: one asking for AUTH is up too. */
		redisReply *reply = server_command(srv, "PING");
		int up = reply != NULL;

		if (reply != NULL)
			freeReplyObject(reply);
		if (up)
			return 0;
		if (waitpid(srv->pid, NULL, WNOHANG) == srv->pid)
			return -1;
		rs_sleep_ms(10);
	}
	return -1;
}

static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Remove dir and everything in it. */
static void remove_tree(const char *dir)
{
	nftw(dir, tmp_remove, 8, FTW_DEPTH | FTW_PHYS);
}

static int server_mkdir(struct server *srv)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->dir, sizeof(srv->dir), "%s/srv.XXXXXX", root);
	return mkdtemp(srv->dir) != NULL ? 0 : -1;
}

/* (Re)start redis-server in srv->dir: on srv->sock, or TCP srv->port. */
static int server_run(struct server *srv, const char *const *extra)
{
	char log[96], port[16];
	const char *argv[24] = {
		"redis-server", "--save", "", "--appendonly", "no",
		"--dir", srv->dir, "--daemonize", "no", "--bind", "127.0.0.1",
		"--port", port,
	};
	int argc = 13;

	snprintf(port, sizeof(port), "%d", srv->port);
	snprintf(log, sizeof(log), "%s/redis.log", srv->dir);
	if (srv->port == 0) {
		argv[argc++] = "--unixsocket";
		argv[argc++] = srv->sock;
	}
	while (extra != NULL && *extra != NULL && argc < 23)
		argv[argc++] = *extra++;
	srv->pid = rs_spawn((char *const *)argv, log);
	if (srv->pid < 0 || server_wait(srv) < 0)
		return -1;
	return 0;
}

static int server_start_unix(struct server *srv, const char *const *extra)
{
	if (server_mkdir(srv) < 0)
		return -1;
	snprintf(srv->sock, sizeof(srv->sock), "%s/redis.sock", srv->dir);
	return server_run(srv, extra);
}

static int server_start_tcp(struct server *srv, const char *const *extra)
{
	if (server_mkdir(srv) < 0 || (srv->port = free_port()) < 0)
		return -1;
	return server_run(srv, extra);
}

/* Stop the process (it may be stopped itself) and reap it. */
static void server_kill(struct server *srv, int sig)
{
	int64_t until = rs_ms_now() + 3000;

	if (srv->pid <= 0)
		return;
	kill(srv->pid, sig);
	kill(srv->pid, SIGCONT);
	while (waitpid(srv->pid, NULL, WNOHANG) == 0) {
		if (rs_ms_now() > until) {
			kill(srv->pid, SIGKILL);
			waitpid(srv->pid, NULL, 0);
			break;
		}
		rs_sleep_ms(5);
	}
	srv->pid = 0;
}

static void server_stop(struct server *srv)
{
	server_kill(srv, SIGTERM);
	remove_tree(srv->dir);
}

static long long server_integer(const struct server *srv, const char *cmd)
{
	redisReply *reply = server_command(srv, cmd);
	long long n = -1;

	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
		n = reply->integer;
	if (reply != NULL)
		freeReplyObject(reply);
	return n;
}

/* A field of INFO, as a number; -1 when missing. */
static long long server_info(const struct server *srv, const char *section,
    const char *field)
{
	redisReply *reply = server_command(srv, "INFO %s", section);
	long long n = -1;
	char *p;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    (p = strstr(reply->str, field)) != NULL)
		n = strtoll(p + strlen(field), NULL, 10);
	if (reply != NULL)
		freeReplyObject(reply);
	return n;
}

static void set_string(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static char *server_address(const struct server *srv)
{
	char text[160];

	if (srv->port == 0)
		snprintf(text, sizeof(text), "unix:%s", srv->sock);
	else
		snprintf(text, sizeof(text), "127.0.0.1:%d", srv->port);
	return xstrdup(text);
}

static struct config *redis_cfg(const struct server *srv, const char *prefix,
    enum redis_on_error on_error, unsigned timeout_ms)
{
	struct config *cfg = config_defaults();
	struct redis_config *rc = &cfg->redis;

	set_string(&cfg->store, "redis");
	cfg->memory_max_hosts = 10000;
	free(rc->server);
	rc->server = server_address(srv);
	set_string(&rc->key_prefix, prefix);
	set_string(&rc->master_name, "");
	set_string(&rc->username, "");
	set_string(&rc->password, "");
	rc->database = 0;
	rc->timeout_ms = timeout_ms;
	rc->pool_size = 4;
	rc->on_error = on_error;
	/* The script on the tests' clock; redis_clock_* use Redis's. */
	rc->node_clock = true;
	return cfg;
}

static struct store *open_store(const struct config *cfg)
{
	char err[256];
	struct store *store = store_open(cfg, err, sizeof(err));

	ck_assert_msg(store != NULL, "store_open: %s", err);
	ck_assert_str_eq(store->ops->name, "redis");
	return store;
}

static void test_rules_init(void)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct rule rule = { .enabled = true, .max = 3, .period = 60,
		    .block = 600 };

		test_rules[d] = rule;
	}
	test_rules[DETECTOR_MANUAL].max = UINT32_MAX;
	test_rules[DETECTOR_MANUAL].period = 1;
	test_rules[DETECTOR_MANUAL].block = 0;
}

static struct host_key v4(unsigned c, unsigned d)
{
	struct host_key key;

	memset(&key, 0, sizeof(key));
	key.family = 4;
	key.prefix = 32;
	key.bytes[0] = 192;
	key.bytes[1] = 0;
	key.bytes[2] = (uint8_t)c;
	key.bytes[3] = (uint8_t)d;
	return key;
}

static int rec(struct store *store, const struct host_key *key,
    enum detector counted, int connect, int64_t now,
    struct store_result *result)
{
	struct store_event event;

	memset(&event, 0, sizeof(event));
	event.key = *key;
	event.now = now;
	event.counted = counted;
	event.connect = connect;
	event.rules = test_rules;
	return store_record(store, &event, result);
}

static enum rule_outcome connect_ok(struct store *store,
    const struct host_key *key, int64_t now, struct store_result *result)
{
	ck_assert_msg(rec(store, key, DETECTOR_DOS, 1, now, result) == 0,
	    "record: %s", store_error(store));
	/* Decided by a store: Redis, or the node's own while it is away. */
	ck_assert_msg(result->decided == STORE_DECIDED_STORE ||
	    result->decided == STORE_DECIDED_LOCAL, "decided by %s: %s",
	    store_decider_name(result->decided), store_error(store));
	return result->outcome;
}

/*
 * The name of key's hash: "<prefix>{<tag>}<key>", the tag its /16 (IPv4)
 * or /32 (IPv6), or the key itself when wider.
 */
static void key_name(const char *prefix, const struct host_key *key,
    char *buf, size_t len)
{
	struct host_addr addr = { .family = key->family };
	unsigned bits = key->family == 4 ? 16 : 32;
	char tag[ADDR_TEXT_MAX], text[ADDR_TEXT_MAX];
	struct host_key wide;

	memcpy(addr.bytes, key->bytes, sizeof(addr.bytes));
	addr_key(&addr, key->prefix < bits ? key->prefix : bits,
	    key->prefix < bits ? key->prefix : bits, &wide);
	host_key_format(&wide, tag, sizeof(tag));
	host_key_format(key, text, sizeof(text));
	snprintf(buf, len, "%s{%s}%s", prefix, tag, text);
}

/* The count Redis holds for key's DoS detector; -1 when none. */
static long long redis_count(const struct server *srv, const char *prefix,
    const struct host_key *key)
{
	char name[256];
	redisReply *reply;
	long long n = -1;

	key_name(prefix, key, name, sizeof(name));
	reply = server_command(srv, "HGET %b c:dos", name, strlen(name));
	if (reply != NULL && reply->type == REDIS_REPLY_STRING)
		n = strtoll(reply->str, NULL, 10);
	if (reply != NULL)
		freeReplyObject(reply);
	return n;
}

struct sighting {
	struct host_key key;
	unsigned seen;
};

static int sighting_fn(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct sighting *s = arg;

	s->seen += host_key_equal(key, &s->key);
	return 0;
}

/* How many times list_blocks() shows key. */
static unsigned listed(struct store *store, const struct host_key *key,
    int64_t now)
{
	struct sighting s = { *key, 0 };

	ck_assert_int_eq(store_list_blocks(store, now, sighting_fn, &s), 0);
	return s.seen;
}

START_TEST(redis_two_nodes)
{
	struct config *cfg = redis_cfg(&shared, "t:two:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *a = open_store(cfg), *b = open_store(cfg);
	struct host_key h = v4(1, 1), m = v4(1, 2);
	struct store_result r;
	struct store_host host;
	int64_t t = time(NULL), start;

	ck_assert_int_eq(connect_ok(a, &h, t, &r), RULE_ALLOWED);
	ck_assert_int_eq(connect_ok(b, &h, t, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 2);
	ck_assert_int_eq(connect_ok(a, &h, t, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_int_eq(connect_ok(b, &h, t, &r), RULE_TRIPPED);
	ck_assert_int_eq(r.block_until, t + 600);
	/* The block b started refuses on a. */
	ck_assert_int_eq(connect_ok(a, &h, t + 1, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_int_eq(r.block_until, t + 600);
	ck_assert_int_eq(store_lookup(a, &h, &host), 0);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 4);
	/* A block by hand on one node, seen by the other. */
	ck_assert_int_eq(store_block(b, &m, DETECTOR_MANUAL, t + 100, t), 0);
	ck_assert_int_eq(connect_ok(a, &m, t + 1, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);
	ck_assert_uint_eq(listed(a, &h, t + 1), 1);
	ck_assert_uint_eq(listed(a, &m, t + 1), 1);
	ck_assert_int_eq(store_unblock(a, &h), 0);
	/* b refuses from its record until the unblock reaches it: soon. */
	start = rs_ms_now();
	while (connect_ok(b, &h, t + 2, &r) == RULE_REFUSED &&
	    rs_ms_now() - start < 1000)
		rs_sleep_ms(5);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
	store_close(a);
	store_close(b);
	config_unref(cfg);
}
END_TEST

/* Every key under prefix has a TTL in (0, max]; return how many. */
static unsigned check_ttls(const struct server *srv, const char *pattern,
    long long max)
{
	redisContext *c = server_connect(srv);
	char cursor[32] = "0";
	unsigned keys = 0;

	ck_assert_ptr_nonnull(c);
	do {
		redisReply *reply = redisCommand(c, "SCAN %s MATCH %s COUNT 100",
		    cursor, pattern);

		ck_assert_ptr_nonnull(reply);
		ck_assert_int_eq(reply->type, REDIS_REPLY_ARRAY);
		snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
		for (size_t i = 0; i < reply->element[1]->elements; i++) {
			redisReply *k = reply->element[1]->element[i];
			redisReply *ttl = redisCommand(c, "TTL %b", k->str, k->len);

			ck_assert_int_eq(ttl->type, REDIS_REPLY_INTEGER);
			ck_assert_msg(ttl->integer > 0 && ttl->integer <= max,
			    "key %s: TTL %lld", k->str, ttl->integer);
			freeReplyObject(ttl);
			keys++;
		}
		freeReplyObject(reply);
	} while (strcmp(cursor, "0") != 0);
	redisFree(c);
	return keys;
}

START_TEST(redis_ttl)
{
	struct config *cfg = redis_cfg(&shared, "t:ttl:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg);
	struct host_key h[6];
	struct store_result r;
	int64_t t = time(NULL);
	unsigned keys;

	for (unsigned i = 0; i < 6; i++)
		h[i] = v4(2, i);
	connect_ok(s, &h[0], t, &r);
	test_rules[DETECTOR_DHA].sliding = true;
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(rec(s, &h[1], DETECTOR_DHA, 0, t, &r), 0);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert_int_eq(store_block(s, &h[2], DETECTOR_MANUAL, t + 5000, t), 0);
	/* A block already over and a disabled rule leave nothing behind. */
	ck_assert_int_eq(store_block(s, &h[3], DETECTOR_MANUAL, t, t), 0);
	test_rules[DETECTOR_ATTACK].enabled = false;
	ck_assert_int_eq(rec(s, &h[4], DETECTOR_ATTACK, 0, t, &r), 0);
	/* State that has expired is deleted, not kept. */
	connect_ok(s, &h[5], t, &r);
	ck_assert_int_eq(store_block(s, &h[5], DETECTOR_MANUAL, t - 1, t + 100), 0);

	/*
	 * Three hosts, the index of blocks and (once checked) the marker and
	 * the layout.
	 */
	keys = check_ttls(&shared, "t:ttl:*", 86400);
	ck_assert_uint_ge(keys, 4);
	ck_assert_uint_le(keys, 6);
	/* The hosts' TTLs follow their state (and the index's, its blocks). */
	ck_assert_uint_eq(check_ttls(&shared, "t:ttl:{*", 5000 + MARGIN_S), 3);
	ck_assert_uint_eq(check_ttls(&shared, "t:ttl:blocks", 5000 + MARGIN_S),
	    1);
	/* And every key the tests before this one wrote. */
	ck_assert_uint_gt(check_ttls(&shared, "*", 100000), 3);
	/* The TTL follows the state: the manual block's end, plus the margin. */
	ck_assert_int_ge(server_integer(&shared, "TTL t:ttl:{192.0.0.0/16}192.0.2.2"), 5000);
	ck_assert_int_le(server_integer(&shared, "TTL t:ttl:{192.0.0.0/16}192.0.2.0"), 60 + MARGIN_S);
	store_close(s);
	config_unref(cfg);
}
END_TEST

/* used_memory growth per host, for hosts seen once each. */
static double bytes_per_host(struct store *s, int family)
{
	struct store_result r;
	int64_t t = time(NULL);
	long long before, after;

	before = server_info(&shared, "memory", "used_memory:");
	for (unsigned i = 0; i < HOSTS; i++) {
		struct host_key key;

		memset(&key, 0, sizeof(key));
		key.family = (uint8_t)family;
		if (family == 4) {
			key.prefix = 32;
			key.bytes[0] = 198;
			key.bytes[1] = 18;
			key.bytes[2] = (uint8_t)(i >> 8);
			key.bytes[3] = (uint8_t)i;
		} else {
			key.prefix = 64;
			key.bytes[0] = 0x20;
			key.bytes[1] = 0x01;
			key.bytes[2] = 0x0d;
			key.bytes[3] = 0xb8;
			key.bytes[4] = (uint8_t)(i >> 8) | 0x10;
			key.bytes[5] = (uint8_t)i;
			key.bytes[7] = 0x42;
		}
		ck_assert_int_eq(connect_ok(s, &key, t, &r), RULE_ALLOWED);
	}
	after = server_info(&shared, "memory", "used_memory:");
	ck_assert_int_gt(before, 0);
	return (double)(after - before) / HOSTS;
}

START_TEST(redis_memory)
{
	struct config *cfg = redis_cfg(&shared, "bulwark:", REDIS_ON_ERROR_ACCEPT, 1000);
	struct store *s;
	struct store_result r;
	struct host_key warm = v4(3, 1);
	long long db0 = server_integer(&shared, "DBSIZE");
	double v4_bytes, v6_bytes;

	/* Another database, so the count below is ours alone (and SELECT works). */
	cfg->redis.database = 5;
	s = open_store(cfg);
	connect_ok(s, &warm, time(NULL), &r);
	v4_bytes = bytes_per_host(s, 4);
	v6_bytes = bytes_per_host(s, 6);
	printf("redis: a host seen once costs %.0f bytes (IPv4), %.0f bytes (IPv6 /64)\n",
	    v4_bytes, v6_bytes);
	ck_assert_double_lt(v4_bytes, BYTES_MAX);
	ck_assert_double_lt(v6_bytes, BYTES_MAX);
	ck_assert_int_eq(server_integer(&shared, "DBSIZE"), db0);
	/*
	 * The hosts, the warm one and (once the node has checked) the marker
	 * and the layout.
	 */
	ck_assert_int_ge(server_info(&shared, "keyspace", "db5:keys="),
	    2 * HOSTS + 1);
	ck_assert_int_le(server_info(&shared, "keyspace", "db5:keys="),
	    2 * HOSTS + 3);
	store_close(s);
	config_unref(cfg);
}
END_TEST

/*
 * A Redis without the store's function library (restarted empty, a new
 * primary): the call loads it and goes through, under its versioned name.
 */
START_TEST(redis_script_flush)
{
	struct config *cfg = redis_cfg(&shared, "t:flush:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg);
	struct host_key h = v4(4, 1), m = v4(4, 2);
	struct store_result r;
	redisReply *reply;
	int64_t t = time(NULL);

	test_rules[DETECTOR_DOS].max = 100;
	for (uint32_t i = 1; i <= 5; i++) {
		reply = server_command(&shared, "FUNCTION FLUSH");
		ck_assert_ptr_nonnull(reply);
		freeReplyObject(reply);
		ck_assert_int_eq(connect_ok(s, &h, t, &r), RULE_ALLOWED);
		ck_assert_int_eq(r.decided, STORE_DECIDED_STORE);
		ck_assert_uint_eq(r.count, i);
	}
	freeReplyObject(server_command(&shared, "FUNCTION FLUSH"));
	ck_assert_int_eq(store_block(s, &m, DETECTOR_MANUAL, t + 60, t), 0);
	ck_assert_int_eq(connect_ok(s, &m, t, &r), RULE_REFUSED);
	ck_assert_int_eq(r.decided, STORE_DECIDED_STORE);
	reply = server_command(&shared, "FUNCTION LIST LIBRARYNAME bulwark_*");
	ck_assert_ptr_nonnull(reply);
	ck_assert_int_eq(reply->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(reply->elements, 1);
	ck_assert_ptr_nonnull(reply->element[0]->element[1]->str);
	ck_assert_str_eq(reply->element[0]->element[1]->str,
	    STORE_REDIS_FUNCTION);
	freeReplyObject(reply);
	store_close(s);
	config_unref(cfg);
}
END_TEST

#define RACE_ROUNDS 20
#define RACE_WORKERS 8
#define RACE_EVENTS 3

struct racer {
	pthread_t thread;
	struct store *store;
	struct host_key key;
	int64_t now;
	pthread_barrier_t *start;
	unsigned failures;
};

static void *racer_run(void *arg)
{
	struct racer *w = arg;
	struct store_result r;

	pthread_barrier_wait(w->start);
	for (unsigned i = 0; i < RACE_EVENTS; i++) {
		if (rec(w->store, &w->key, DETECTOR_DOS, 1, w->now, &r) != 0 ||
		    r.decided != STORE_DECIDED_STORE)
			w->failures++;
	}
	return NULL;
}

/* The failed FUNCTION LOAD calls Redis has served. */
static long long load_failures(void)
{
	redisReply *reply = server_command(&shared, "INFO commandstats");
	const char *p;
	long long n = 0;

	ck_assert_ptr_nonnull(reply);
	p = strstr(reply->str, "cmdstat_function|load:");
	if (p != NULL && (p = strstr(p, "failed_calls=")) != NULL)
		n = strtoll(p + 13, NULL, 10);
	freeReplyObject(reply);
	return n;
}

/*
 * Connections racing to load the library after a flush: those whose
 * FUNCTION LOAD finds it there already ("already exists") call it all
 * the same.  Asserts the race happened at least once.
 */
START_TEST(redis_script_load_race)
{
	struct config *cfg = redis_cfg(&shared, "t:race:", REDIS_ON_ERROR_ACCEPT, 2000);
	struct racer w[RACE_WORKERS];
	pthread_barrier_t start;
	long long raced = load_failures();
	struct store *s;
	int64_t t = time(NULL);

	cfg->redis.pool_size = RACE_WORKERS;
	s = open_store(cfg);
	test_rules[DETECTOR_DOS].max = UINT32_MAX - 1;
	for (unsigned round = 0; round < RACE_ROUNDS; round++) {
		freeReplyObject(server_command(&shared, "FUNCTION FLUSH"));
		pthread_barrier_init(&start, NULL, RACE_WORKERS);
		for (unsigned i = 0; i < RACE_WORKERS; i++) {
			w[i] = (struct racer){ .store = s, .key = v4(10, i),
			    .now = t, .start = &start };
			ck_assert_int_eq(pthread_create(&w[i].thread, NULL,
			    racer_run, &w[i]), 0);
		}
		for (unsigned i = 0; i < RACE_WORKERS; i++) {
			pthread_join(w[i].thread, NULL);
			ck_assert_uint_eq(w[i].failures, 0);
		}
		pthread_barrier_destroy(&start);
	}
	raced = load_failures() - raced;
	printf("# library load races in %d rounds: %lld\n", RACE_ROUNDS, raced);
	ck_assert_int_ge(raced, 1);
	store_close(s);
	config_unref(cfg);
}
END_TEST

START_TEST(redis_paused)
{
	struct server srv;
	struct config *cfg;
	struct store *s;
	struct host_key h = v4(5, 1), g = v4(5, 2), k = v4(5, 3);
	struct store_result r;
	int64_t t = time(NULL), start, took, worst = 0, resumed;
	unsigned calls = 0, slow = 0;

	ck_assert_int_eq(server_start_unix(&srv, NULL), 0);
	cfg = redis_cfg(&srv, "p:", REDIS_ON_ERROR_LOCAL, 100);
	s = open_store(cfg);
	for (int i = 0; i < 4; i++)
		connect_ok(s, &h, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert_int_eq(store_degraded(s), 0);
	/* g is counted here meanwhile: it must stay under the threshold. */
	test_rules[DETECTOR_DOS].max = 1000000;

	kill(srv.pid, SIGSTOP);
	start = rs_ms_now();
	while (rs_ms_now() - start < 1500) {
		int64_t t0 = rs_ms_now();

		/* The block learned from Redis holds, from the node's record;
		 * others are counted here. */
		ck_assert_int_eq(connect_ok(s, &h, t + 1, &r), RULE_REFUSED);
		ck_assert_int_eq(r.block_until, t + 600);
		ck_assert(r.known);
		ck_assert_int_eq(connect_ok(s, &g, t + 1, &r), RULE_ALLOWED);
		took = rs_ms_now() - t0;
		worst = took > worst ? took : worst;
		slow += took >= 90;
		calls++;
		rs_sleep_ms(1);
	}
	printf("redis: paused server: %u calls, slowest %lld ms, %u waited for it\n",
	    calls, (long long)worst, slow);
	ck_assert_int_le(worst, 100 + 50);
	ck_assert_uint_ge(slow, 1);
	/* The back-off spares most events the wait. */
	ck_assert_uint_le(slow, 12);
	ck_assert_uint_gt(calls, 100);
	ck_assert_int_eq(store_degraded(s), 1);

	kill(srv.pid, SIGCONT);
	resumed = rs_ms_now();
	while (redis_count(&srv, "p:", &k) < 0 && rs_ms_now() - resumed < 3000) {
		connect_ok(s, &k, t + 2, &r);
		rs_sleep_ms(20);
	}
	printf("redis: sharing resumed %lld ms after the server did\n",
	    (long long)(rs_ms_now() - resumed));
	ck_assert_int_ge(redis_count(&srv, "p:", &k), 1);
	ck_assert_int_eq(store_degraded(s), 0);
	store_close(s);
	config_unref(cfg);
	server_stop(&srv);
}
END_TEST

static unsigned count_lines(const char *path, const char *what)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	unsigned n = 0;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, what) != NULL;
	fclose(fp);
	return n;
}

START_TEST(redis_restarted)
{
	struct server srv;
	struct config *cfg, *cfg_accept;
	struct store *s, *acc;
	struct host_key h = v4(6, 1), g = v4(6, 2), k = v4(6, 3);
	struct store_result r;
	int64_t t = time(NULL), start;
	char logpath[128];
	int saved, fd;

	ck_assert_int_eq(server_start_unix(&srv, NULL), 0);
	snprintf(logpath, sizeof(logpath), "%s/bulwark.log", srv.dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_set_level(LOG_LEVEL_NOTICE);

	cfg = redis_cfg(&srv, "r:", REDIS_ON_ERROR_LOCAL, 200);
	cfg_accept = redis_cfg(&srv, "r:", REDIS_ON_ERROR_ACCEPT, 200);
	s = open_store(cfg);
	acc = open_store(cfg_accept);
	for (int i = 0; i < 4; i++)
		connect_ok(s, &h, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	connect_ok(acc, &g, t, &r);

	server_kill(&srv, SIGTERM);
	start = rs_ms_now();
	ck_assert_int_eq(connect_ok(s, &h, t + 1, &r), RULE_REFUSED);
	ck_assert_int_eq(connect_ok(s, &g, t + 1, &r), RULE_ALLOWED);
	ck_assert_int_eq(r.decided, STORE_DECIDED_LOCAL);
	/* on_error=accept: the result says so, and quickly. */
	ck_assert_int_eq(rec(acc, &g, DETECTOR_DOS, 1, t + 1, &r), 0);
	ck_assert_int_eq(r.decided, STORE_DECIDED_ACCEPT);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_str_ne(store_error(acc), "no error");
	ck_assert_int_eq(rec(acc, &g, DETECTOR_DOS, 1, t + 1, &r), 0);
	ck_assert_int_eq(r.decided, STORE_DECIDED_ACCEPT);
	ck_assert_int_le(rs_ms_now() - start, 200);

	/* k, counted below, must not trip a block of its own meanwhile. */
	test_rules[DETECTOR_DOS].max = 1000000;
	ck_assert_int_eq(server_run(&srv, NULL), 0);
	start = rs_ms_now();
	while (redis_count(&srv, "r:", &k) < 0 && rs_ms_now() - start < 3000) {
		connect_ok(s, &k, t + 2, &r);
		rs_sleep_ms(20);
	}
	ck_assert_int_eq(redis_count(&srv, "r:", &k), 1);

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_set_level(LOG_LEVEL_ERROR);
	/* One line each way per store, whatever the number of failed events. */
	ck_assert_uint_eq(count_lines(logpath, "event=store-degraded store=redis"), 2);
	ck_assert_uint_eq(count_lines(logpath, "event=store-recovered store=redis"), 1);
	store_close(s);
	store_close(acc);
	config_unref(cfg);
	config_unref(cfg_accept);
	server_stop(&srv);
}
END_TEST

START_TEST(redis_auth)
{
	static const char *const extra[] = { "--requirepass", "s3cret word", NULL };
	struct server srv;
	struct config *cfg;
	struct store *s;
	struct host_key h = v4(7, 1);
	struct store_result r;
	int64_t t = time(NULL);

	ck_assert_int_eq(server_start_unix(&srv, (const char *const *)extra), 0);
	cfg = redis_cfg(&srv, "a:", REDIS_ON_ERROR_ACCEPT, 500);
	set_string(&cfg->redis.password, "s3cret word");
	s = open_store(cfg);
	ck_assert_int_eq(connect_ok(s, &h, t, &r), RULE_ALLOWED);
	store_close(s);
	/* Username and password: AUTH user pass. */
	set_string(&cfg->redis.username, "default");
	s = open_store(cfg);
	ck_assert_int_eq(connect_ok(s, &h, t, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 2);
	store_close(s);
	set_string(&cfg->redis.password, "wrong");
	s = open_store(cfg);
	ck_assert_int_eq(rec(s, &h, DETECTOR_DOS, 1, t, &r), 0);
	ck_assert_int_eq(r.decided, STORE_DECIDED_ACCEPT);
	ck_assert_int_eq(store_degraded(s), 1);
	ck_assert_ptr_nonnull(strstr(store_error(s), "AUTH"));
	store_close(s);
	config_unref(cfg);
	server_stop(&srv);
}
END_TEST

START_TEST(redis_odd_prefix)
{
	static const char prefix[] = "odd {pre} *?[x]\\ \"fix\":";
	struct config *cfg = redis_cfg(&shared, prefix, REDIS_ON_ERROR_ACCEPT, 500);
	struct config *cfg_short = redis_cfg(&shared, "odd", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg), *other = open_store(cfg_short);
	struct host_key h = v4(8, 77);
	struct store_result r;
	char name[128];
	redisReply *reply;
	int64_t t = time(NULL);

	key_name(prefix, &h, name, sizeof(name));
	ck_assert_int_eq(store_block(s, &h, DETECTOR_MANUAL, t + 60, t), 0);
	ck_assert_int_eq(connect_ok(s, &h, t, &r), RULE_REFUSED);
	reply = server_command(&shared, "EXISTS %b", name, strlen(name));
	ck_assert_int_eq(reply->integer, 1);
	freeReplyObject(reply);
	ck_assert_uint_eq(listed(s, &h, t), 1);
	/* A prefix that is a prefix of ours does not reach our keys. */
	ck_assert_uint_eq(listed(other, &h, t), 0);
	ck_assert_int_eq(connect_ok(other, &h, t, &r), RULE_ALLOWED);
	ck_assert_int_eq(store_unblock(s, &h), 0);
	reply = server_command(&shared, "EXISTS %b", name, strlen(name));
	ck_assert_int_eq(reply->integer, 0);
	freeReplyObject(reply);
	store_close(s);
	store_close(other);
	config_unref(cfg);
	config_unref(cfg_short);
}
END_TEST

#define WORKERS 8
#define WORKER_EVENTS 300

struct worker {
	pthread_t thread;
	struct store *store;
	const struct host_key *key;
	int64_t now;
	unsigned failures;
};

/* Threads count failures: check asserts in the test's thread only. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct store_result r;

	for (unsigned i = 0; i < WORKER_EVENTS; i++) {
		if (rec(w->store, w->key, DETECTOR_DOS, 1, w->now, &r) != 0 ||
		    r.decided != STORE_DECIDED_STORE)
			w->failures++;
	}
	return NULL;
}

START_TEST(redis_threads)
{
	struct config *cfg = redis_cfg(&shared, "t:threads:", REDIS_ON_ERROR_ACCEPT, 2000);
	struct store *s;
	struct worker w[WORKERS];
	struct host_key h = v4(9, 1);
	struct store_host host;
	int64_t t = time(NULL);

	cfg->redis.pool_size = 2;
	s = open_store(cfg);
	test_rules[DETECTOR_DOS].max = UINT32_MAX - 1;
	for (unsigned i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .store = s, .key = &h, .now = t };
		ck_assert_int_eq(pthread_create(&w[i].thread, NULL, worker_run, &w[i]), 0);
	}
	for (unsigned i = 0; i < WORKERS; i++) {
		pthread_join(w[i].thread, NULL);
		ck_assert_uint_eq(w[i].failures, 0);
	}
	ck_assert_int_eq(store_lookup(s, &h, &host), 0);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, WORKERS * WORKER_EVENTS);
	store_close(s);
	config_unref(cfg);
}
END_TEST

START_TEST(redis_bad_config)
{
	struct config *cfg = redis_cfg(&shared, "x:", REDIS_ON_ERROR_ACCEPT, 500);
	char err[256];

	set_string(&cfg->redis.server, "no-port");
	ck_assert_ptr_null(store_open(cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no-port"));
	set_string(&cfg->redis.server, "127.0.0.1:99999");
	ck_assert_ptr_null(store_open(cfg, err, sizeof(err)));
	set_string(&cfg->redis.server, "127.0.0.1:6379");
	cfg->redis.pool_size = 0;
	ck_assert_ptr_null(store_open(cfg, err, sizeof(err)));
	cfg->redis.pool_size = 1;
	cfg->redis.sentinels = xcalloc(1, sizeof(char *));
	cfg->redis.sentinels[0] = xstrdup("127.0.0.1:26379");
	cfg->redis.sentinel_count = 1;
	ck_assert_ptr_null(store_open(cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "master_name"));
	config_unref(cfg);
}
END_TEST

/* Sentinel: a master, its replica, one sentinel watching them. */

static int sentinel_start(struct server *sen, int master_port)
{
	char conf[128], log[128];
	FILE *fp;

	if (server_mkdir(sen) < 0 || (sen->port = free_port()) < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/sentinel.conf", sen->dir);
	snprintf(log, sizeof(log), "%s/sentinel.log", sen->dir);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
	    "sentinel monitor bw 127.0.0.1 %d 1\n"
	    "sentinel down-after-milliseconds bw 500\n"
	    "sentinel failover-timeout bw 2000\n", sen->port, sen->dir,
	    master_port);
	fclose(fp);
	sen->pid = rs_spawn((char *const[]){ "redis-server", conf, "--sentinel",
	    NULL }, log);
	return sen->pid > 0 && server_wait(sen) == 0 ? 0 : -1;
}

/* Poll until cond(srv, arg) holds, for up to ms; return whether it did. */
static bool poll_until(bool (*cond)(const struct server *, int),
    const struct server *srv, int arg, unsigned ms)
{
	int64_t until = rs_ms_now() + ms;

	while (!cond(srv, arg)) {
		if (rs_ms_now() > until)
			return false;
		rs_sleep_ms(50);
	}
	return true;
}

static bool replica_synced(const struct server *replica, int unused)
{
	redisReply *reply = server_command(replica, "INFO replication");
	bool up = reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    strstr(reply->str, "master_link_status:up") != NULL;

	if (reply != NULL)
		freeReplyObject(reply);
	return up;
}

static bool sentinel_sees_replica(const struct server *sen, int unused)
{
	redisReply *reply = server_command(sen, "SENTINEL replicas bw");
	bool seen = reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements > 0;

	if (reply != NULL)
		freeReplyObject(reply);
	return seen;
}

static bool replica_has_3(const struct server *replica, int unused)
{
	struct host_key h = v4(10, 1);

	return redis_count(replica, "s:", &h) == 3;
}

static bool sentinel_names(const struct server *sen, int port)
{
	redisReply *reply = server_command(sen,
	    "SENTINEL get-master-addr-by-name bw");
	bool named = reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2 && atoi(reply->element[1]->str) == port;

	if (reply != NULL)
		freeReplyObject(reply);
	return named;
}

START_TEST(redis_sentinel_failover)
{
	struct server master, replica, sen;
	const char *replicaof[] = { "--replicaof", "127.0.0.1", NULL, NULL };
	char master_port[16];
	struct config *cfg;
	struct store *s;
	struct host_key h = v4(10, 1);
	struct store_result r;
	int64_t t = time(NULL), start;
	static const char *const diskless[] = { "--repl-diskless-sync-delay", "0",
	    NULL };

	ck_assert_int_eq(server_start_tcp(&master, diskless), 0);
	snprintf(master_port, sizeof(master_port), "%d", master.port);
	replicaof[2] = master_port;
	ck_assert_int_eq(server_start_tcp(&replica, replicaof), 0);
	ck_assert(poll_until(replica_synced, &replica, 0, 5000));
	ck_assert_int_eq(sentinel_start(&sen, master.port), 0);
	ck_assert(poll_until(sentinel_sees_replica, &sen, 0, 5000));

	cfg = redis_cfg(&master, "s:", REDIS_ON_ERROR_ACCEPT, 300);
	set_string(&cfg->redis.server, "");
	cfg->redis.sentinels = xcalloc(1, sizeof(char *));
	cfg->redis.sentinels[0] = server_address(&sen);
	cfg->redis.sentinel_count = 1;
	set_string(&cfg->redis.master_name, "bw");
	s = open_store(cfg);
	test_rules[DETECTOR_DOS].max = 100;
	for (uint32_t i = 1; i <= 3; i++) {
		ck_assert_int_eq(connect_ok(s, &h, t, &r), RULE_ALLOWED);
		ck_assert_uint_eq(r.count, i);
	}
	ck_assert_int_eq(redis_count(&master, "s:", &h), 3);
	/* WAIT would only wait for its own connection's writes: poll. */
	ck_assert(poll_until(replica_has_3, &replica, 0, 5000));

	server_kill(&master, SIGKILL);
	start = rs_ms_now();
	ck_assert(poll_until(sentinel_names, &sen, replica.port, 15000));
	while ((rec(s, &h, DETECTOR_DOS, 1, t, &r) != 0 ||
	    r.decided != STORE_DECIDED_STORE) && rs_ms_now() - start < 18000)
		rs_sleep_ms(50);
	printf("redis: failover followed in %lld ms\n", (long long)(rs_ms_now() - start));
	/* The count went on from what the replica had. */
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(redis_count(&replica, "s:", &h), 4);
	store_close(s);
	config_unref(cfg);
	server_stop(&sen);
	server_stop(&replica);
	server_stop(&master);
}
END_TEST

static void redis_test_setup(void)
{
	test_rules_init();
}

/* The script on its own: the hash it writes, read with plain commands. */

/* Field of the hash of key under prefix, as a number; -1 when absent. */
static long long hash_field(const char *prefix, const struct host_key *key,
    const char *field)
{
	char name[256];
	redisReply *reply;
	long long n = -1;

	key_name(prefix, key, name, sizeof(name));
	reply = server_command(&shared, "HGET %s %s", name, field);
	ck_assert_ptr_nonnull(reply);
	if (reply->type == REDIS_REPLY_STRING)
		n = strtoll(reply->str, NULL, 10);
	freeReplyObject(reply);
	return n;
}

static long long hash_len(const char *prefix, const struct host_key *key)
{
	char name[256], cmd[300];

	key_name(prefix, key, name, sizeof(name));
	snprintf(cmd, sizeof(cmd), "HLEN %s", name);
	return server_integer(&shared, cmd);
}

/*
 * Two nodes on Redis's clock, one of them a day ahead: the node ahead
 * neither ends nor erases the block the other made, and a block it makes
 * by hand lasts its length on Redis's clock.
 */
START_TEST(redis_clock_ahead)
{
	struct config *cfg = redis_cfg(&shared, "t:clock:", REDIS_ON_ERROR_ACCEPT,
	    500);
	struct store *a, *b;
	struct host_key h = v4(14, 1), m = v4(14, 2);
	struct store_result r;
	int64_t t = time(NULL), ahead = t + 86400;

	cfg->redis.node_clock = false;
	a = open_store(cfg);
	b = open_store(cfg);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_ok(a, &h, t, &r), RULE_ALLOWED);
	ck_assert_int_eq(connect_ok(a, &h, t, &r), RULE_TRIPPED);
	ck_assert_int_ge(r.block_until, t + 600);
	ck_assert_int_le(r.block_until, t + 602);
	ck_assert_int_eq(connect_ok(b, &h, ahead, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_int_le(r.block_until, t + 602);
	ck_assert_int_eq(hash_field("t:clock:", &h, "c:dos"), 4);
	ck_assert_int_le(server_integer(&shared, "TTL t:clock:{192.0.0.0/16}192.0.14.1"),
	    600 + MARGIN_S + 2);
	ck_assert_int_eq(connect_ok(a, &h, t + 1, &r), RULE_REFUSED);
	/* Blocked by hand on the node ahead: 100 s of Redis's time. */
	ck_assert_int_eq(store_block(b, &m, DETECTOR_MANUAL, ahead + 100, ahead),
	    0);
	ck_assert_int_ge(hash_field("t:clock:", &m, "b:manual"), t + 100);
	ck_assert_int_le(hash_field("t:clock:", &m, "b:manual"), t + 102);
	ck_assert_int_eq(connect_ok(a, &m, t, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);
	store_close(a);
	store_close(b);
	config_unref(cfg);
}
END_TEST

/*
 * A key of the wrong type for one host: that host's events are decided
 * by on_error (the node's own store), every other host's reach Redis,
 * the node is never degraded and its pool is kept.
 */
START_TEST(redis_wrong_type)
{
	struct config *cfg = redis_cfg(&shared, "t:wt:", REDIS_ON_ERROR_LOCAL,
	    500);
	struct store *s = open_store(cfg);
	struct host_key bad = v4(15, 50), warm = v4(15, 1);
	struct store_result r;
	int64_t t = time(NULL);
	long long connections;
	unsigned reached = 0;
	redisReply *reply = server_command(&shared, "SET t:wt:{192.0.0.0/16}192.0.15.50 x");

	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	connect_ok(s, &warm, t, &r);
	connections = server_info(&shared, "stats",
	    "total_connections_received:");
	for (unsigned i = 1; i <= 200; i++) {
		struct host_key other = v4(16, i);

		ck_assert_int_eq(rec(s, &bad, DETECTOR_DOS, 1, t, &r), 0);
		ck_assert_int_eq(r.decided, STORE_DECIDED_LOCAL);
		ck_assert_int_eq(store_degraded(s), 0);
		ck_assert_int_eq(rec(s, &other, DETECTOR_DOS, 1, t, &r), 0);
		ck_assert_int_eq(r.decided, STORE_DECIDED_STORE);
	}
	ck_assert_ptr_nonnull(strstr(store_error(s), "WRONGTYPE"));
	/* No connection was dropped for it: the pool's (4) and INFO's at most. */
	ck_assert_int_le(server_info(&shared, "stats",
	    "total_connections_received:") - connections, 5);
	for (unsigned i = 1; i <= 200; i++) {
		struct host_key other = v4(16, i);

		reached += redis_count(&shared, "t:wt:", &other) == 1;
	}
	ck_assert_uint_eq(reached, 200);
	store_close(s);
	config_unref(cfg);
}
END_TEST

START_TEST(script_fields)
{
	struct config *cfg = redis_cfg(&shared, "t:lua:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg);
	struct host_key h = v4(11, 1), m = v4(11, 2);
	struct store_result r;
	int64_t t = time(NULL);
	char node[STORE_NOTE_NODE_MAX], own[STORE_NOTE_NODE_MAX];

	for (int i = 0; i < 4; i++)
		connect_ok(s, &h, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert_int_eq(hash_field("t:lua:", &h, "c:dos"), 4);
	ck_assert_int_eq(hash_field("t:lua:", &h, "w:dos"), t);
	ck_assert_int_eq(hash_field("t:lua:", &h, "b:dos"), t + 600);
	ck_assert_int_eq(hash_field("t:lua:", &h, "l:dos"), 600);
	ck_assert_int_eq(hash_field("t:lua:", &h, "x"), t + 600);
	/* Why it started: the rule's max and period, and this node. */
	ck_assert_int_eq(hash_field("t:lua:", &h, "t:dos"), 3);
	ck_assert_int_eq(hash_field("t:lua:", &h, "p:dos"), 60);
	ck_assert_int_eq(store_get_node(s, &h, DETECTOR_DOS, node,
	    sizeof(node)), 1);
	ck_assert(gethostname(own, sizeof(own)) == 0);
	own[sizeof(own) - 1] = '\0';
	ck_assert_str_eq(node, own);
	ck_assert_int_eq(store_get_node(s, &h, DETECTOR_DHA, node,
	    sizeof(node)), 0);
	/* Nothing else: untouched detectors cost no field. */
	ck_assert_int_eq(hash_len("t:lua:", &h), 8);
	ck_assert_int_eq(store_block(s, &m, DETECTOR_MANUAL, t + 100, t - 20), 0);
	ck_assert_int_eq(hash_field("t:lua:", &m, "b:manual"), t + 100);
	ck_assert_int_eq(hash_field("t:lua:", &m, "l:manual"), 120);
	ck_assert_int_eq(hash_field("t:lua:", &m, "x"), t + 100);
	ck_assert_int_eq(hash_len("t:lua:", &m), 3);
	store_close(s);
	config_unref(cfg);
}
END_TEST

START_TEST(script_old_hash)
{
	struct config *cfg = redis_cfg(&shared, "t:old:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg);
	struct host_key h = v4(12, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = time(NULL);
	redisReply *reply;

	/* A block as a version that kept no length wrote it. */
	reply = server_command(&shared, "HSET t:old:{192.0.0.0/16}192.0.12.1 c:dos 4 "
	    "w:dos %lld b:dos %lld x %lld", (long long)t, (long long)t + 600,
	    (long long)t + 600);
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	test_rules[DETECTOR_DOS].sliding = true;
	ck_assert_int_eq(connect_ok(s, &h, t + 10, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 610);
	ck_assert_int_eq(store_lookup(s, &h, &host), 0);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 610);
	/* Its start stays unknown, and no length is made up. */
	ck_assert_int_eq(rule_block_start(&host.state[DETECTOR_DOS]), 0);
	ck_assert_int_eq(hash_field("t:old:", &h, "l:dos"), -1);
	ck_assert_int_eq(hash_field("t:old:", &h, "x"), t + 610);
	store_close(s);
	config_unref(cfg);
}
END_TEST

START_TEST(script_stale)
{
	struct config *cfg = redis_cfg(&shared, "t:stale:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg);
	struct host_key h = v4(13, 1);
	struct store_result r;
	int64_t t = time(NULL);
	redisReply *reply;

	/* State whose x has passed (a node's clock ahead, say) is empty. */
	reply = server_command(&shared, "HSET t:stale:{192.0.0.0/16}192.0.13.1 c:dos 99 "
	    "w:dos %lld b:manual %lld l:manual 5 x %lld", (long long)t - 1000,
	    (long long)t - 5, (long long)t - 5);
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	ck_assert_int_eq(connect_ok(s, &h, t, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(hash_field("t:stale:", &h, "c:dos"), 1);
	ck_assert_int_eq(hash_field("t:stale:", &h, "b:manual"), -1);
	ck_assert_int_eq(hash_field("t:stale:", &h, "l:manual"), -1);
	ck_assert_int_eq(hash_len("t:stale:", &h), 3);
	store_close(s);
	config_unref(cfg);
}
END_TEST

/* A CONNECT counting the session under a limit of max. */
static void conc_connect(struct store *s, const struct host_key *key,
    uint32_t max, int enforce, struct store_result *r)
{
	struct store_event e = { .key = *key, .now = time(NULL),
	    .counted = DETECTOR_DOS, .connect = 1, .rules = test_rules,
	    .sessions_max = max, .sessions_enforce = enforce,
	    .sessions_lease = 30 };

	ck_assert_msg(store_record(s, &e, r) == 0, "record: %s",
	    store_error(s));
}

static void redis_do(const char *fmt, long long a, long long b)
{
	redisReply *reply = server_command(&shared, fmt, a, b);

	ck_assert_ptr_nonnull(reply);
	ck_assert_int_ne(reply->type, REDIS_REPLY_ERROR);
	freeReplyObject(reply);
}

/*
 * The live sessions across the array: another node's live field counts,
 * an expired one is dropped; over the limit the session is not counted
 * unless the limit only logs; a release uncounts it.
 */
START_TEST(script_sessions)
{
	struct config *cfg = redis_cfg(&shared, "t:conc:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg);
	struct host_key h = v4(14, 1);
	struct store_result r;
	int64_t t = time(NULL);

	/* Sessions only: no DoS block (refused from the node's record). */
	test_rules[DETECTOR_DOS].max = 1000;
	redis_do("HSET t:conc:conc:{192.0.0.0/16}192.0.14.1 other/1 3:%lld:0 dead/2 5:%lld:0",
	    (long long)t + 100, (long long)t - 1);
	conc_connect(s, &h, 4, 1, &r);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_uint_eq(r.sessions, 4);
	ck_assert_int_eq(r.session_held, 1);
	ck_assert_int_eq(server_integer(&shared,
	    "HEXISTS t:conc:conc:{192.0.0.0/16}192.0.14.1 dead/2"), 0);
	conc_connect(s, &h, 4, 1, &r);
	ck_assert_uint_eq(r.sessions, 5);
	ck_assert_int_eq(r.session_held, 0);
	ck_assert_int_eq(server_integer(&shared,
	    "HLEN t:conc:conc:{192.0.0.0/16}192.0.14.1"), 2);
	/* action = "log": counted all the same, it stays open. */
	conc_connect(s, &h, 4, 0, &r);
	ck_assert_uint_eq(r.sessions, 5);
	ck_assert_int_eq(r.session_held, 1);
	ck_assert_int_eq(store_session_release(s, &h, 30), 0);
	conc_connect(s, &h, 4, 1, &r);
	ck_assert_uint_eq(r.sessions, 5);
	ck_assert_int_eq(r.session_held, 0);
	ck_assert_int_eq(store_session_release(s, &h, 30), 0);
	ck_assert_int_eq(store_session_release(s, &h, 30), 0);
	/* This node's count is 0, the other node's stays. */
	conc_connect(s, &h, 4, 1, &r);
	ck_assert_uint_eq(r.sessions, 4);
	ck_assert_int_eq(store_session_release(s, &h, 30), 0);
	ck_assert_int_gt(server_integer(&shared,
	    "TTL t:conc:conc:{192.0.0.0/16}192.0.14.1"), 0);
	/* Without a limit the event leaves the sessions alone. */
	connect_ok(s, &h, t, &r);
	ck_assert_uint_eq(r.sessions, 0);
	store_close(s);
	config_unref(cfg);
}
END_TEST

static void count_node(const struct store_node *node, void *arg)
{
	ck_assert_str_eq(node->name, "mx1/7");
	ck_assert_uint_eq(node->sessions, 3);
	ck_assert_uint_eq(node->stages[2], 2);
	ck_assert(node->refusals_per_second > 0.4);
	(*(int *)arg)++;
}

/* The node summaries: the live ones listed, the expired ones dropped. */
START_TEST(script_nodes)
{
	struct config *cfg = redis_cfg(&shared, "t:nodes:", REDIS_ON_ERROR_ACCEPT, 500);
	struct store *s = open_store(cfg);
	int64_t t = time(NULL);
	char live[64], gone[64];
	redisReply *reply;
	int n = 0;

	snprintf(live, sizeof(live), "%lld 3 1 0 2 0 0.500", (long long)t + 100);
	snprintf(gone, sizeof(gone), "%lld 1 1 0 0 0 0", (long long)t - 1);
	reply = server_command(&shared, "HSET t:nodes:nodes:{array} mx1/7 %s "
	    "mx2/8 %s", live, gone);
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	ck_assert_int_eq(store_list_nodes(s, count_node, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(server_integer(&shared,
	    "HLEN t:nodes:nodes:{array}"), 1);
	store_close(s);
	config_unref(cfg);
}
END_TEST

/*
 * FCALL the store's function with args (no format) on the shared
 * server, the library loaded first if need be.
 */
static redisReply *script_call(const char *args)
{
	char cmd[256];
	redisReply *reply = server_command(&shared, "FUNCTION LOAD %s",
	    store_redis_library);

	ck_assert_ptr_nonnull(reply);
	ck_assert_msg(reply->type != REDIS_REPLY_ERROR ||
	    strstr(reply->str, "already exists") != NULL, "%s", reply->str);
	freeReplyObject(reply);
	snprintf(cmd, sizeof(cmd), "FCALL %s %s", STORE_REDIS_FUNCTION, args);
	return server_command(&shared, cmd);
}

/* This node's field of the host of script_refresh, as "count:seq". */
static void conc_field(char *buf, size_t len)
{
	redisReply *reply = server_command(&shared,
	    "HGET t:cs:conc:{192.0.0.0/16}192.0.15.1 me");
	long long c = -1, l, q = -1;

	ck_assert_ptr_nonnull(reply);
	if (reply->type == REDIS_REPLY_STRING)
		sscanf(reply->str, "%lld:%lld:%lld", &c, &l, &q);
	freeReplyObject(reply);
	snprintf(buf, len, "%lld:%lld", c, q);
}

/* A refresh read before a session the field has seen keeps its count. */
START_TEST(script_refresh)
{
	char field[64];
	redisReply *reply;

	reply = script_call("1 t:cs:conc:{192.0.0.0/16}192.0.15.1 cs 0 "
	    "me 2 30 5");
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	conc_field(field, sizeof(field));
	ck_assert_str_eq(field, "2:5");
	reply = script_call("1 t:cs:conc:{192.0.0.0/16}192.0.15.1 cs 0 "
	    "me 1 30 4");
	freeReplyObject(reply);
	conc_field(field, sizeof(field));
	ck_assert_str_eq(field, "2:5");
	reply = script_call("1 t:cs:conc:{192.0.0.0/16}192.0.15.1 cs 0 "
	    "me 1 30 6");
	freeReplyObject(reply);
	conc_field(field, sizeof(field));
	ck_assert_str_eq(field, "1:6");
	ck_assert_int_gt(server_integer(&shared,
	    "TTL t:cs:conc:{192.0.0.0/16}192.0.15.1"), 25);
}
END_TEST

START_TEST(script_unknown_operation)
{
	redisReply *reply = script_call("1 t:op:{x} z 1");

	ck_assert_ptr_nonnull(reply);
	ck_assert_int_eq(reply->type, REDIS_REPLY_ERROR);
	ck_assert_ptr_nonnull(strstr(reply->str, "bulwark: unknown operation"));
	freeReplyObject(reply);
	ck_assert_int_eq(server_integer(&shared, "EXISTS t:op:{x}"), 0);
}
END_TEST

/*
 * An upgrade: the blocks an older version kept under "<prefix>{<host>}"
 * are moved to the tagged names once the listener has subscribed, with
 * their TTL; a hash already under the new name wins; later starts leave
 * the old names alone.
 */
START_TEST(redis_upgrade)
{
	struct config *cfg = redis_cfg(&shared, "t:upgrade:",
	    REDIS_ON_ERROR_ACCEPT, 500);
	struct host_key a = v4(17, 1), b = v4(17, 2);
	struct store_result r;
	struct store *s;
	int64_t t = time(NULL), start;

	redis_do("HSET t:upgrade:{192.0.17.1} c:dos 4 w:dos %lld b:dos %lld "
	    "l:dos 600", t, t + 600);
	redis_do("HSET t:upgrade:{192.0.17.1} x %lld x %lld", t + 600, t + 600);
	redis_do("EXPIRE t:upgrade:{192.0.17.1} %lld", 610, 0);
	redis_do("HSET t:upgrade:{192.0.17.2} c:dos 4 b:dos %lld x %lld",
	    t + 600, t + 600);
	redis_do("HSET t:upgrade:{192.0.0.0/16}192.0.17.2 c:dos 1 w:dos %lld "
	    "x %lld", t, t + 60);
	redis_do("ZADD t:upgrade:blocks %lld 192.0.17.1 %lld 192.0.17.2", t + 600,
	    t + 600);
	redis_do("ZADD t:upgrade:blocks %lld 192.0.17.3 %lld 192.0.17.4", t + 600,
	    t + 600);
	s = open_store(cfg);
	start = rs_ms_now();
	while (server_integer(&shared, "EXISTS t:upgrade:layout") != 1 &&
	    rs_ms_now() - start < 5000)
		usleep(10000);
	ck_assert_int_eq(server_integer(&shared, "EXISTS t:upgrade:layout"), 1);
	ck_assert_int_eq(server_integer(&shared,
	    "EXISTS t:upgrade:{192.0.17.1} t:upgrade:{192.0.17.2}"), 0);
	ck_assert_int_eq(hash_field("t:upgrade:", &a, "b:dos"), t + 600);
	ck_assert_int_eq(hash_field("t:upgrade:", &a, "c:dos"), 4);
	ck_assert_int_gt(server_integer(&shared,
	    "TTL t:upgrade:{192.0.0.0/16}192.0.17.1"), 590);
	ck_assert_int_le(server_integer(&shared,
	    "TTL t:upgrade:{192.0.0.0/16}192.0.17.1"), 610);
	ck_assert_int_eq(hash_field("t:upgrade:", &b, "c:dos"), 1);
	ck_assert_int_eq(connect_ok(s, &a, t + 1, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 600);
	ck_assert_uint_eq(listed(s, &a, t + 1), 1);
	store_close(s);
	/* Done once: an old name written later stays where it is. */
	redis_do("HSET t:upgrade:{192.0.17.3} b:dos %lld x %lld", t + 600,
	    t + 600);
	s = open_store(cfg);
	ck_assert_int_eq(connect_ok(s, &b, t + 1, &r), RULE_ALLOWED);
	usleep(300000);
	ck_assert_int_eq(server_integer(&shared,
	    "EXISTS t:upgrade:{192.0.17.3}"), 1);
	store_close(s);
	config_unref(cfg);
}
END_TEST

/*
 * A host's hash and its network's, written in one call, each with the
 * expiry and TTL of its own rules.
 */
START_TEST(redis_network_ttl)
{
	struct config *cfg = redis_cfg(&shared, "t:nttl:", REDIS_ON_ERROR_ACCEPT,
	    500);
	struct store *s = open_store(cfg);
	struct rule net_rules[DETECTOR_COUNT];
	struct host_key a = v4(18, 1), b = v4(18, 2), net = v4(18, 0);
	struct store_event event;
	struct store_result r;
	char name[256], cmd[300];
	int64_t t = time(NULL);

	net.prefix = 24;
	memset(net_rules, 0, sizeof(net_rules));
	net_rules[DETECTOR_DOS] = test_rules[DETECTOR_DOS];
	net_rules[DETECTOR_DOS].max = 1;
	net_rules[DETECTOR_DOS].period = 30;
	net_rules[DETECTOR_DOS].block = 1200;
	memset(&event, 0, sizeof(event));
	event.key = a;
	event.now = t;
	event.counted = DETECTOR_DOS;
	event.connect = 1;
	event.rules = test_rules;
	event.net_rules = net_rules;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		event.nets[d] = net;
	ck_assert_int_eq(store_record(s, &event, &r), 0);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_int_eq(hash_field("t:nttl:", &a, "x"), t + 60);
	ck_assert_int_eq(hash_field("t:nttl:", &net, "x"), t + 30);
	ck_assert_int_eq(hash_field("t:nttl:", &net, "c:dos"), 1);
	event.key = b;
	event.now = t + 1;
	ck_assert_int_eq(store_record(s, &event, &r), 0);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert(r.network);
	ck_assert(host_key_equal(&r.network_key, &net));
	ck_assert_int_eq(r.block_until, t + 1 + 1200);
	ck_assert_int_eq(hash_field("t:nttl:", &b, "x"), t + 1 + 60);
	ck_assert_int_eq(hash_field("t:nttl:", &b, "b:dos"), -1);
	ck_assert_int_eq(hash_field("t:nttl:", &net, "x"), t + 1 + 1200);
	key_name("t:nttl:", &net, name, sizeof(name));
	ck_assert_str_eq(name, "t:nttl:{192.0.0.0/16}192.0.18.0/24");
	snprintf(cmd, sizeof(cmd), "TTL %s", name);
	ck_assert_int_gt(server_integer(&shared, cmd), 1200);
	ck_assert_int_le(server_integer(&shared, cmd), 1200 + MARGIN_S);
	key_name("t:nttl:", &b, name, sizeof(name));
	snprintf(cmd, sizeof(cmd), "TTL %s", name);
	ck_assert_int_le(server_integer(&shared, cmd), 60 + MARGIN_S);
	store_close(s);
	config_unref(cfg);
}
END_TEST

static Suite *script_suite(void)
{
	Suite *suite = suite_create("store-redis-script");
	TCase *tc = tcase_create("script");

	tcase_add_checked_fixture(tc, redis_test_setup, NULL);
	tcase_add_test(tc, script_fields);
	tcase_add_test(tc, script_old_hash);
	tcase_add_test(tc, script_stale);
	tcase_add_test(tc, script_unknown_operation);
	tcase_add_test(tc, script_sessions);
	tcase_add_test(tc, script_refresh);
	tcase_add_test(tc, script_nodes);
	suite_add_tcase(suite, tc);
	return suite;
}

static Suite *redis_suite(void)
{
	Suite *suite = suite_create("store-redis-own");
	TCase *tc = tcase_create("redis");
	TCase *failover = tcase_create("sentinel");

	tcase_add_checked_fixture(tc, redis_test_setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, redis_two_nodes);
	tcase_add_test(tc, redis_ttl);
	tcase_add_test(tc, redis_clock_ahead);
	tcase_add_test(tc, redis_wrong_type);
	tcase_add_test(tc, redis_memory);
	tcase_add_test(tc, redis_script_flush);
	tcase_add_test(tc, redis_script_load_race);
	tcase_add_test(tc, redis_paused);
	tcase_add_test(tc, redis_restarted);
	tcase_add_test(tc, redis_auth);
	tcase_add_test(tc, redis_odd_prefix);
	tcase_add_test(tc, redis_upgrade);
	tcase_add_test(tc, redis_network_ttl);
	tcase_add_test(tc, redis_threads);
	tcase_add_test(tc, redis_bad_config);
	suite_add_tcase(suite, tc);
	tcase_add_checked_fixture(failover, redis_test_setup, NULL);
	tcase_set_timeout(failover, 40);
	tcase_add_test(failover, redis_sentinel_failover);
	suite_add_tcase(suite, failover);
	return suite;
}

int main(void)
{
	struct config *cfg;
	SRunner *runner;
	int failed;

	/* A server that went away must not kill us when written to. */
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_ERROR);
	snprintf(root, sizeof(root), "/tmp/bulwark-redis.XXXXXX");
	if (mkdtemp(root) == NULL || server_start_unix(&shared, NULL) < 0) {
		fprintf(stderr, "check_store_redis: cannot start redis-server\n");
		server_stop(&shared);
		remove_tree(root);
		return EXIT_FAILURE;
	}
	if (server_integer(&shared, "DBSIZE") != 0) {
		fprintf(stderr, "check_store_redis: database not empty, refusing to run\n");
		server_stop(&shared);
		remove_tree(root);
		return EXIT_FAILURE;
	}
	cfg = redis_cfg(&shared, "bulwark:conformance:", REDIS_ON_ERROR_ACCEPT, 1000);
	runner = srunner_create(store_conformance_suite("redis", cfg));
	srunner_add_suite(runner, redis_suite());
	srunner_add_suite(runner, script_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	config_unref(cfg);
	server_stop(&shared);
	/* Tests that failed left their servers' directories (not processes). */
	remove_tree(root);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
