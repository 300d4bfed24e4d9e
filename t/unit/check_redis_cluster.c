/*
 * check_redis_cluster.c - the cluster client against a real Redis
 * Cluster started in a temporary directory: three primaries, three
 * replicas (redis_servers.h).
 *
 * The live tests share one cluster, in the order below: each finds the
 * nodes it needs as the cluster is then, and the kill comes last.
 *
 * Checked: the hash slot of keys (known values, and the server's own
 * CLUSTER KEYSLOT); commands land on the primary serving their slot;
 * ASK during a slot's migration and MOVED once it moved (with the map
 * reader held off, so the redirects are what the client follows); a live
 * redis-cli --cluster reshard under load, with no failed command and no
 * count lost; a primary killed under load, its replica promoted, the
 * client following it, and the Redis store's script running on the new
 * primary with the count made before the kill.  The failover test prints the worst reply time,
 * the errors and when they ended; it asserts that no command failed
 * later than FOLLOW_MS after the new primary serves the slot, and the
 * reply time only loosely (timing is measured in make bench, not
 * asserted).
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "addr.h"
#include "config.h"
#include "redis_cluster_impl.h"
#include "redis_servers.h"
#include "store.h"
#include "xalloc.h"

#define TIMEOUT_MS	200
#define LOAD_THREADS	4
#define LOAD_KEYS	60		/* per thread */
#define FOLLOW_MS	3000
#define LATE_MS		50		/* a reply later than TIMEOUT_MS + this is late */
#define SLACK_MS	1000		/* the loose bound asserted: a busy machine */

static struct rs_cluster cl;

static void cluster_setup(void)
{
	ck_assert_int_eq(rs_root_make(), 0);
	ck_assert_msg(rs_cluster_start(&cl) == 0, "cluster did not start "
	    "(logs in %s)", rs_root);
}

static void cluster_teardown(void)
{
	rs_cluster_stop(&cl);
	rs_root_remove();
}

/* A client whose seeds are the given nodes. */
static struct redis_cluster *client(const int *seeds, size_t count)
{
	struct config *cfg = config_defaults();
	struct redis_config *rc = &cfg->redis;
	struct redis_cluster *c;
	char err[256];

	rc->cluster = xcalloc(count, sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		rc->cluster[i] = xcalloc(1, 32);
		snprintf(rc->cluster[i], 32, "127.0.0.1:%d",
		    cl.node[seeds[i]].port);
	}
	rc->cluster_count = count;
	rc->timeout_ms = TIMEOUT_MS;
	rc->pool_size = LOAD_THREADS;
	c = redis_cluster_open(rc, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	config_unref(cfg);
	return c;
}

static redisReply *cmd(struct redis_cluster *c, const char *op,
    const char *key, const char *value, char *err, size_t errlen)
{
	const char *argv[] = { op, key, value };

	return redis_cluster_command(c, key, strlen(key),
	    redis_deadline(TIMEOUT_MS), value != NULL ? 3 : 2, argv, NULL,
	    err, errlen);
}

static void must_set(struct redis_cluster *c, const char *key,
    const char *value)
{
	char err[256];
	redisReply *r = cmd(c, "SET", key, value, err, sizeof(err));

	ck_assert_msg(r != NULL && r->type == REDIS_REPLY_STATUS,
	    "SET %s: %s", key, r != NULL ? r->str : err);
	freeReplyObject(r);
}

static void must_get(struct redis_cluster *c, const char *key,
    const char *want)
{
	char err[256];
	redisReply *r = cmd(c, "GET", key, NULL, err, sizeof(err));

	ck_assert_msg(r != NULL && r->type == REDIS_REPLY_STRING,
	    "GET %s: %s", key, r != NULL && r->str ? r->str : err);
	ck_assert_str_eq(r->str, want);
	freeReplyObject(r);
}

START_TEST(slot_of_keys)
{
	ck_assert_uint_eq(redis_cluster_slot("123456789", 9), 0x31c3);
	ck_assert_uint_eq(redis_cluster_slot("foo", 3), 12182);
	ck_assert_uint_eq(redis_cluster_slot("", 0), 0);
	/* A hash tag: only what lies between the first { and the next }. */
	ck_assert_uint_eq(redis_cluster_slot("{user1000}.following", 20),
	    redis_cluster_slot("user1000", 8));
	ck_assert_uint_eq(redis_cluster_slot("a{user1000}b", 12),
	    redis_cluster_slot("user1000", 8));
	ck_assert_uint_eq(redis_cluster_slot("foo{bar}{zap}", 13),
	    redis_cluster_slot("bar", 3));
	ck_assert_uint_eq(redis_cluster_slot("foo{{bar}}zap", 13),
	    redis_cluster_slot("{bar", 4));
	/* An empty tag, or none closed: the whole key. */
	ck_assert_uint_ne(redis_cluster_slot("foo{}{bar}", 10),
	    redis_cluster_slot("bar", 3));
	ck_assert_uint_eq(redis_cluster_slot("foo{}{bar}", 10),
	    redis_cluster_slot("foo{}{bar}xyz", 10));
	ck_assert_uint_ne(redis_cluster_slot("x{abc", 5),
	    redis_cluster_slot("abc", 3));
}
END_TEST

static long long dbsize(const struct rs_server *srv)
{
	redisReply *r = rs_command(srv, "DBSIZE");
	long long n = r != NULL && r->type == REDIS_REPLY_INTEGER ?
	    r->integer : -1;

	if (r != NULL)
		freeReplyObject(r);
	return n;
}

START_TEST(routes_by_slot)
{
	static const int seeds[] = { 5, 0 };
	struct redis_cluster *c = client(seeds, 2);
	struct redis_cluster_node_ref prim[8];
	struct redis_cluster_stats st;
	long long total = 0;
	int with_keys = 0;
	char key[32];

	for (int i = 0; i < 600; i++) {
		redisReply *r;

		snprintf(key, sizeof(key), "bw:{192.0.2.%d/%d}", i % 256, i);
		must_set(c, key, key);
		r = rs_command(&cl.node[0], "CLUSTER KEYSLOT %s", key);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->integer,
		    redis_cluster_slot(key, strlen(key)));
		freeReplyObject(r);
		/* Straight from the node serving the slot. */
		r = rs_command(&cl.node[rs_cluster_slot_owner(&cl, &cl.node[0],
		    redis_cluster_slot(key, strlen(key)))], "GET %s", key);
		ck_assert_msg(r != NULL && r->type == REDIS_REPLY_STRING,
		    "%s is not on its slot's primary", key);
		freeReplyObject(r);
	}
	for (int n = 0; n < RS_CLUSTER_NODES; n++) {
		redisReply *role = rs_command(&cl.node[n], "ROLE");
		long long keys = dbsize(&cl.node[n]);

		ck_assert_ptr_nonnull(role);
		if (strcmp(role->element[0]->str, "master") == 0) {
			total += keys;
			with_keys += keys > 0;
		}
		freeReplyObject(role);
	}
	ck_assert_int_eq(total, 600);
	ck_assert_int_eq(with_keys, 3);
	ck_assert_int_eq(redis_cluster_primaries(c, redis_deadline(TIMEOUT_MS),
	    prim, 8, key, sizeof(key)), 3);
	redis_cluster_stats(c, &st);
	ck_assert_uint_eq(st.moved, 0);
	ck_assert_uint_ge(st.map_reads, 1);
	redis_cluster_close(c);
}
END_TEST

/* Keys "<stem><n>" until one falls in slot; its text to key. */
static void key_in_slot(const char *stem, unsigned slot, int *n, char *key,
    size_t len)
{
	do {
		snprintf(key, len, "%s%d", stem, (*n)++);
	} while (redis_cluster_slot(key, strlen(key)) != slot);
}

static void must_ok(redisReply *r, const char *what)
{
	ck_assert_msg(r != NULL && r->type != REDIS_REPLY_ERROR, "%s: %s",
	    what, r != NULL ? r->str : "no reply");
	freeReplyObject(r);
}

START_TEST(follows_ask_and_moved)
{
	static const int seeds[] = { 0 };
	struct redis_cluster *c = client(seeds, 1);
	struct redis_cluster_stats st;
	char moved[32], stays[32], fresh[32], src_id[64], dst_id[64];
	unsigned slot = redis_cluster_slot("moving", 6);
	int n = 0, src, dst;

	key_in_slot("m", slot, &n, moved, sizeof(moved));
	key_in_slot("m", slot, &n, stays, sizeof(stays));
	key_in_slot("m", slot, &n, fresh, sizeof(fresh));
	must_set(c, moved, "1");
	must_set(c, stays, "2");
	src = rs_cluster_slot_owner(&cl, &cl.node[0], slot);
	dst = rs_cluster_slot_owner(&cl, &cl.node[0], (slot + 8000) % 16384);
	ck_assert_int_ne(src, dst);
	rs_cluster_id(&cl.node[src], src_id, sizeof(src_id));
	rs_cluster_id(&cl.node[dst], dst_id, sizeof(dst_id));

	/* Hold the map reader off: only redirects tell the client. */
	pthread_mutex_lock(&c->busy);
	must_ok(rs_command(&cl.node[dst], "CLUSTER SETSLOT %u IMPORTING %s",
	    slot, src_id), "IMPORTING");
	must_ok(rs_command(&cl.node[src], "CLUSTER SETSLOT %u MIGRATING %s",
	    slot, dst_id), "MIGRATING");
	must_ok(rs_command(&cl.node[src], "MIGRATE 127.0.0.1 %d %s 0 5000",
	    cl.node[dst].port, moved), "MIGRATE");
	must_get(c, moved, "1");	/* ASK: on the target now */
	must_get(c, stays, "2");	/* still on the source */
	must_set(c, fresh, "3");	/* new keys go to the target */
	redis_cluster_stats(c, &st);
	ck_assert_uint_eq(st.asked, 2);
	ck_assert_uint_eq(st.moved, 0);

	must_ok(rs_command(&cl.node[src], "MIGRATE 127.0.0.1 %d %s 0 5000",
	    cl.node[dst].port, stays), "MIGRATE");
	must_ok(rs_command(&cl.node[dst], "CLUSTER SETSLOT %u NODE %s", slot,
	    dst_id), "SETSLOT NODE");
	must_ok(rs_command(&cl.node[src], "CLUSTER SETSLOT %u NODE %s", slot,
	    dst_id), "SETSLOT NODE");
	must_get(c, stays, "2");	/* MOVED, then the target */
	must_get(c, fresh, "3");	/* the map knows now */
	redis_cluster_stats(c, &st);
	ck_assert_uint_eq(st.moved, 1);
	ck_assert_uint_eq(st.asked, 2);
	pthread_mutex_unlock(&c->busy);
	redis_cluster_close(c);
}
END_TEST

/* Load: threads INCR their keys, counting what was acknowledged. */
struct load {
	pthread_t thread;
	struct redis_cluster *c;
	char keys[LOAD_KEYS][32];
	long long acked[LOAD_KEYS];
	unsigned errors;
	size_t ops;
	size_t late;			/* replies after TIMEOUT_MS + LATE_MS */
	int64_t worst_ms;
	int64_t first_error_ms, last_error_ms;	/* monotonic, 0: none */
	char last_error[256];
};

static atomic_bool load_stop;

static void load_one(struct load *l, int k)
{
	char err[256];
	int64_t start = rs_ms_now(), took;
	redisReply *r = cmd(l->c, "INCR", l->keys[k], NULL, err, sizeof(err));

	took = rs_ms_now() - start;
	if (took > l->worst_ms)
		l->worst_ms = took;
	l->late += took > TIMEOUT_MS + LATE_MS;
	l->ops++;
	if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
		l->acked[k]++;
	} else {
		l->errors++;
		l->last_error_ms = rs_ms_now();
		if (l->first_error_ms == 0)
			l->first_error_ms = l->last_error_ms;
		snprintf(l->last_error, sizeof(l->last_error), "%s",
		    r != NULL ? r->str : err);
	}
	if (r != NULL)
		freeReplyObject(r);
}

static void *load_main(void *arg)
{
	struct load *l = arg;

	for (int k = 0; !atomic_load(&load_stop); k = (k + 1) % LOAD_KEYS)
		load_one(l, k);
	return NULL;
}

static void load_start(struct load *loads, struct redis_cluster *c,
    const char *stem)
{
	atomic_store(&load_stop, false);
	for (int t = 0; t < LOAD_THREADS; t++) {
		memset(&loads[t], 0, sizeof(loads[t]));
		loads[t].c = c;
		for (int k = 0; k < LOAD_KEYS; k++)
			snprintf(loads[t].keys[k], sizeof(loads[t].keys[k]),
			    "%s{198.51.100.%d}", stem, t * LOAD_KEYS + k);
		ck_assert_int_eq(pthread_create(&loads[t].thread, NULL,
		    load_main, &loads[t]), 0);
	}
}

static void load_stop_all(struct load *loads)
{
	atomic_store(&load_stop, true);
	for (int t = 0; t < LOAD_THREADS; t++)
		pthread_join(loads[t].thread, NULL);
}

/* Every acknowledged INCR is in the counts. */
static void load_check_counts(struct load *loads, struct redis_cluster *c)
{
	for (int t = 0; t < LOAD_THREADS; t++) {
		for (int k = 0; k < LOAD_KEYS; k++) {
			char want[32];

			snprintf(want, sizeof(want), "%lld", loads[t].acked[k]);
			if (loads[t].acked[k] > 0)
				must_get(c, loads[t].keys[k], want);
		}
	}
}

/* The node index serving each slot, as node 0 sees it. */
static void slot_owners(int *owner)
{
	redisReply *r = rs_command(&cl.node[0], "CLUSTER SLOTS");

	for (int s = 0; s < 16384; s++)
		owner[s] = -1;
	ck_assert_ptr_nonnull(r);
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *range = r->element[i];

		for (int n = 0; n < RS_CLUSTER_NODES; n++) {
			if (cl.node[n].port !=
			    range->element[2]->element[1]->integer)
				continue;
			for (long long s = range->element[0]->integer;
			    s <= range->element[1]->integer; s++)
				owner[s] = n;
		}
	}
	freeReplyObject(r);
}

START_TEST(reshard_under_load)
{
	static const int seeds[] = { 1 };
	struct redis_cluster *c = client(seeds, 1);
	struct redis_cluster_stats st;
	static int before[16384], after[16384];
	struct load loads[LOAD_THREADS];
	char src_id[64], dst_id[64], port[32], *argv[16];
	unsigned errors = 0;
	size_t ops = 0;
	int src, dst, moved_keys = 0, argc = 0;
	unsigned slot = redis_cluster_slot("198.51.100.0", 12);

	src = rs_cluster_slot_owner(&cl, &cl.node[0], slot);
	dst = rs_cluster_slot_owner(&cl, &cl.node[0], (slot + 6000) % 16384);
	ck_assert_int_ne(src, dst);
	rs_cluster_id(&cl.node[src], src_id, sizeof(src_id));
	rs_cluster_id(&cl.node[dst], dst_id, sizeof(dst_id));
	slot_owners(before);
	load_start(loads, c, "r:");
	rs_sleep_ms(500);
	/* Half of the source's slots: most of its test hosts move. */
	snprintf(port, sizeof(port), "127.0.0.1:%d", cl.node[src].port);
	argv[argc++] = "redis-cli";
	argv[argc++] = "--cluster";
	argv[argc++] = "reshard";
	argv[argc++] = port;
	argv[argc++] = "--cluster-from";
	argv[argc++] = src_id;
	argv[argc++] = "--cluster-to";
	argv[argc++] = dst_id;
	argv[argc++] = "--cluster-slots";
	argv[argc++] = "2731";
	argv[argc++] = "--cluster-yes";
	argv[argc] = NULL;
	ck_assert_int_eq(rs_cluster_run(cl.node[src].dir, argv), 0);
	rs_sleep_ms(500);
	load_stop_all(loads);
	slot_owners(after);
	for (int t = 0; t < LOAD_THREADS; t++) {
		errors += loads[t].errors;
		ops += loads[t].ops;
		for (int k = 0; k < LOAD_KEYS; k++) {
			const char *key = loads[t].keys[k];
			unsigned ks = redis_cluster_slot(key, strlen(key));

			if (before[ks] == src && after[ks] == dst)
				moved_keys++;
		}
	}
	redis_cluster_stats(c, &st);
	printf("reshard under load: %zu commands, %u errors, MOVED %llu, "
	    "ASK %llu, map reads %llu\n", ops, errors,
	    (unsigned long long)st.moved, (unsigned long long)st.asked,
	    (unsigned long long)st.map_reads);
	ck_assert_msg(errors == 0, "%u commands failed, e.g. %s", errors,
	    loads[0].last_error);
	ck_assert_int_gt(moved_keys, 0);
	load_check_counts(loads, c);
	redis_cluster_close(c);
}
END_TEST

static bool serves_as_primary(const struct rs_server *srv, int slot)
{
	redisReply *r = rs_command(srv, "CLUSTER SLOTS");
	bool serves = false;

	for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    i < r->elements; i++) {
		const redisReply *range = r->element[i];

		if (range->element[0]->integer <= slot &&
		    range->element[1]->integer >= slot)
			serves = range->element[2]->element[1]->integer ==
			    srv->port;
	}
	if (r != NULL)
		freeReplyObject(r);
	return serves;
}

/* The replica of the primary at index primary. */
static int replica_of(int primary)
{
	char id[64];

	rs_cluster_id(&cl.node[primary], id, sizeof(id));
	for (int n = 0; n < RS_CLUSTER_NODES; n++) {
		redisReply *r = rs_command(&cl.node[n], "INFO replication");
		bool mine = r != NULL && r->type == REDIS_REPLY_STRING &&
		    strstr(r->str, "role:slave") != NULL;
		char port[32];

		snprintf(port, sizeof(port), "master_port:%d",
		    cl.node[primary].port);
		mine = mine && strstr(r->str, port) != NULL;
		if (r != NULL)
			freeReplyObject(r);
		if (mine)
			return n;
	}
	return -1;
}

/* The Redis store on the cluster, its rules a DoS max of 100. */
static struct store *cluster_store(struct rule *rules)
{
	struct config *cfg = config_defaults();
	struct store *store;
	char err[256];

	free(cfg->store);
	cfg->store = xstrdup("redis");
	cfg->redis.cluster = xcalloc(1, sizeof(char *));
	cfg->redis.cluster[0] = xcalloc(1, 32);
	snprintf(cfg->redis.cluster[0], 32, "127.0.0.1:%d", cl.node[0].port);
	cfg->redis.cluster_count = 1;
	cfg->redis.timeout_ms = TIMEOUT_MS;
	store = store_open(cfg, err, sizeof(err));
	ck_assert_msg(store != NULL, "store_open: %s", err);
	config_unref(cfg);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct rule rule = { .enabled = d == DETECTOR_DOS, .max = 100,
		    .period = 3600, .block = 600 };

		rules[d] = rule;
	}
	return store;
}

/*
 * A host whose key lies on the primary at index node: its key is tagged
 * by its /16 ("bulwark:{192.<d>.0.0/16}192.<d>.2.1").
 */
static struct host_key host_on(int node)
{
	struct host_key key;
	char text[ADDR_TEXT_MAX + 16];

	for (unsigned d = 1; d < 256; d++) {
		memset(&key, 0, sizeof(key));
		key.family = 4;
		key.prefix = 32;
		key.bytes[0] = 192;
		key.bytes[1] = (uint8_t)d;
		key.bytes[2] = 2;
		key.bytes[3] = 1;
		snprintf(text, sizeof(text), "bulwark:{192.%u.0.0/16}", d);
		if (rs_cluster_slot_owner(&cl, &cl.node[0],
		    redis_cluster_slot(text, strlen(text))) == node)
			return key;
	}
	ck_abort_msg("no host on node %d", node);
	return key;
}

static int store_count(struct store *store, const struct rule *rules,
    const struct host_key *key, struct store_result *result)
{
	struct store_event event = { .key = *key, .now = time(NULL),
	    .counted = DETECTOR_DOS, .connect = 1, .rules = rules };

	return store_record(store, &event, result);
}

static struct host_key net_key(const char *text)
{
	struct host_key key;
	char *slash, buf[ADDR_TEXT_MAX];
	struct host_addr addr;
	unsigned prefix = 128;

	snprintf(buf, sizeof(buf), "%s", text);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		prefix = (unsigned)atoi(slash + 1);
	}
	ck_assert_int_eq(addr_parse(buf, &addr), 0);
	addr_key(&addr, prefix, prefix, &key);
	return key;
}

/*
 * One CONNECT of host, counted over network too (DoS network rule,
 * max 3), with its session counted across the array: three keys.
 */
static void net_connect(struct store *store, const struct rule *rules,
    const struct rule *net_rules, const char *host, const char *network,
    struct store_result *result)
{
	struct store_event event = { .key = net_key(host), .now = time(NULL),
	    .counted = DETECTOR_DOS, .connect = 1, .rules = rules,
	    .net_rules = net_rules, .sessions_max = 100, .sessions_lease = 30,
	    .sessions_seq = 1 };

	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		event.nets[d] = net_key(network);
	ck_assert_int_eq(store_record(store, &event, result), 0);
	ck_assert_msg(result->decided == STORE_DECIDED_STORE, "%s: decided by "
	    "%s: %s", host, store_decider_name(result->decided),
	    store_error(store));
}

/* The count of detector DoS in key's hash, -1 when none. */
static long long hash_count(struct redis_cluster *c, const char *key)
{
	char err[256];
	redisReply *r = cmd(c, "HGET", key, "c:dos", err, sizeof(err));
	long long n;

	ck_assert_msg(r != NULL, "HGET %s: %s", key, err);
	n = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
	freeReplyObject(r);
	return n;
}

/*
 * A network rule on the cluster: the host's hash, its network's and its
 * sessions' share a slot, so each event is one script call (no
 * CROSSSLOT); the network trips and refuses a host never seen, IPv4 and
 * IPv6.
 */
START_TEST(network_one_slot)
{
	static const int seeds[] = { 0 };
	struct redis_cluster *c = client(seeds, 1);
	struct rule rules[DETECTOR_COUNT], net_rules[DETECTOR_COUNT];
	struct store *store = cluster_store(rules);
	struct store_result r;
	char host[32];

	memset(net_rules, 0, sizeof(net_rules));
	net_rules[DETECTOR_DOS] = rules[DETECTOR_DOS];
	net_rules[DETECTOR_DOS].max = 3;
	for (int i = 1; i <= 4; i++) {
		snprintf(host, sizeof(host), "198.51.100.%d", i);
		net_connect(store, rules, net_rules, host, "198.51.100.0/24", &r);
		ck_assert_int_eq(r.outcome, i < 4 ? RULE_ALLOWED : RULE_TRIPPED);
	}
	ck_assert(r.network);
	net_connect(store, rules, net_rules, "198.51.100.200",
	    "198.51.100.0/24", &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert(r.network);
	ck_assert_uint_eq(redis_cluster_slot("bulwark:{198.51.0.0/16}"
	    "198.51.100.0/24", 38), redis_cluster_slot("198.51.0.0/16", 13));
	ck_assert_int_eq(hash_count(c, "bulwark:{198.51.0.0/16}198.51.100.1"), 1);
	ck_assert_int_eq(hash_count(c, "bulwark:{198.51.0.0/16}198.51.100.0/24"),
	    4);
	for (int i = 1; i <= 4; i++) {
		snprintf(host, sizeof(host), "2001:db8:7:%d::", i);
		net_connect(store, rules, net_rules, host, "2001:db8:7::/48", &r);
	}
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert(r.network);
	ck_assert_int_eq(hash_count(c, "bulwark:{2001:db8::/32}2001:db8:7::/48"),
	    4);
	store_close(store);
	redis_cluster_close(c);
}
END_TEST

START_TEST(primary_killed_under_load)
{
	static const int seeds[] = { 0, 1, 2, 3, 4, 5 };
	struct redis_cluster *c = client(seeds, 6);
	struct redis_cluster_stats st;
	struct load loads[LOAD_THREADS];
	unsigned errors = 0, slot = redis_cluster_slot("198.51.100.1", 12);
	int64_t kill_ms, promoted_ms = 0, first = 0, last = 0, worst = 0;
	int victim, heir;
	size_t ops = 0, late = 0;
	struct rule rules[DETECTOR_COUNT];
	struct store_result result;
	struct host_key host;
	struct store *store;

	victim = rs_cluster_slot_owner(&cl, &cl.node[0], slot);
	heir = replica_of(victim);
	ck_assert_int_ge(heir, 0);
	store = cluster_store(rules);
	host = host_on(victim);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(store_count(store, rules, &host, &result), 0);
		ck_assert_int_eq(result.decided, STORE_DECIDED_STORE);
	}
	load_start(loads, c, "f:");
	rs_sleep_ms(1000);
	kill_ms = rs_ms_now();
	kill(cl.node[victim].pid, SIGKILL);
	waitpid(cl.node[victim].pid, NULL, 0);
	cl.node[victim].pid = 0;
	while (rs_ms_now() < kill_ms + 20000 && promoted_ms == 0) {
		if (serves_as_primary(&cl.node[heir], (int)slot))
			promoted_ms = rs_ms_now();
		rs_sleep_ms(20);
	}
	ck_assert_msg(promoted_ms != 0, "the replica was not promoted");
	rs_sleep_ms(FOLLOW_MS + 1000);
	load_stop_all(loads);
	for (int t = 0; t < LOAD_THREADS; t++) {
		errors += loads[t].errors;
		ops += loads[t].ops;
		late += loads[t].late;
		if (loads[t].worst_ms > worst)
			worst = loads[t].worst_ms;
		if (loads[t].first_error_ms != 0 &&
		    (first == 0 || loads[t].first_error_ms < first))
			first = loads[t].first_error_ms;
		if (loads[t].last_error_ms > last)
			last = loads[t].last_error_ms;
	}
	redis_cluster_stats(c, &st);
	printf("primary killed under load (timeout_ms %d): %zu commands, "
	    "%u failed; promoted %lld ms after the kill; errors from %lld to "
	    "%lld ms; worst reply %lld ms, %zu replies after %d ms; MOVED %llu, "
	    "retried %llu, map reads %llu\n", TIMEOUT_MS, ops, errors,
	    (long long)(promoted_ms - kill_ms),
	    (long long)(first ? first - kill_ms : 0),
	    (long long)(last ? last - kill_ms : 0), (long long)worst, late,
	    TIMEOUT_MS + LATE_MS,
	    (unsigned long long)st.moved, (unsigned long long)st.retried,
	    (unsigned long long)st.map_reads);
	ck_assert_msg(last == 0 || last < promoted_ms + FOLLOW_MS,
	    "a command failed %lld ms after the promotion: %s",
	    (long long)(last - promoted_ms), loads[0].last_error);
	ck_assert_msg(worst <= TIMEOUT_MS + SLACK_MS, "a reply took %lld ms",
	    (long long)worst);
	/* Only the time without a primary failed commands. */
	ck_assert_msg(first == 0 || first >= kill_ms, "failed before the kill");
	for (int t = 0; t < LOAD_THREADS; t++)
		must_set(c, loads[t].keys[0], "after");
	/*
	 * The store's script on the new primary, which may never have had
	 * it (then FUNCTION LOAD, and FCALL again), once its fallback's
	 * back-off ends; the
	 * count made before the kill was replicated.
	 */
	for (int64_t until = rs_ms_now() + 5000; rs_ms_now() < until;
	    rs_sleep_ms(100)) {
		ck_assert_int_eq(store_count(store, rules, &host, &result), 0);
		if (result.decided == STORE_DECIDED_STORE)
			break;
	}
	ck_assert_int_eq(result.decided, STORE_DECIDED_STORE);
	ck_assert_uint_eq(result.count, 3);
	store_close(store);
	redis_cluster_close(c);
}
END_TEST

static Suite *redis_cluster_suite(void)
{
	Suite *suite = suite_create("redis_cluster");
	TCase *pure = tcase_create("slot");
	TCase *live = tcase_create("live");

	tcase_add_test(pure, slot_of_keys);
	suite_add_tcase(suite, pure);
	/* One cluster for the tests in turn; the kill comes last. */
	tcase_add_unchecked_fixture(live, cluster_setup, cluster_teardown);
	tcase_set_timeout(live, 120);
	tcase_add_test(live, routes_by_slot);
	tcase_add_test(live, follows_ask_and_moved);
	tcase_add_test(live, reshard_under_load);
	tcase_add_test(live, network_one_slot);
	tcase_add_test(live, primary_killed_under_load);
	suite_add_tcase(suite, live);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(redis_cluster_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
