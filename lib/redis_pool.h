/*
 * redis_pool.h - connections to Redis shared by many threads, each use
 * bounded by a deadline.
 *
 * redis_pool_open() checks the redis settings (server address, or the
 * sentinels and master_name, pool_size, timeout_ms) and resolves the
 * host names among them, once: connections use the addresses found then,
 * and nothing on the event path ever looks a name up.  It connects
 * nothing; NULL with a reason in err when the settings are unusable (a
 * cluster among them: see redis_cluster.h) or a name does not resolve.
 *
 * redis_pool_open_at() opens a pool for one fixed endpoint, already
 * resolved (a node of a Redis Cluster, redis_cluster.h), with the
 * pool_size, credentials and database of rc; it never fails.
 *
 * redis_pool_get() hands out an idle connection, or opens one when fewer
 * than pool_size exist: TCP or unix socket, then AUTH and SELECT as
 * configured.  A thread waits for a free connection at most until the
 * deadline.  redis_pool_put() gives it back; with ok false the connection
 * is closed (an I/O error, a protocol error, or a reply the caller did not
 * expect), and so are the idle ones, which most likely share its fate.
 *
 * With sentinels, a thread of the pool follows the master they name
 * (redis_sentinel.h): it is subscribed to their +switch-master and asks
 * them every second.  When the master changes, every connection to the
 * old one is stale: idle ones are closed at once, those in use when they
 * are put back, so no write goes to a demoted master once the sentinels
 * have named the new one.  A new connection goes to the master known
 * then and must say ROLE master; until the first master is known,
 * redis_pool_get() waits for it, up to the deadline.  A failed connection
 * makes the thread ask the sentinels again soon.  The thread is started
 * by the first redis_pool_get() in each process (so a pool opened before
 * fork() works in the child).
 *
 * redis_conn_command() sends one command (binary-safe argv) and returns
 * its reply, or NULL when the connection failed or the deadline passed;
 * redis_conn_append() and redis_conn_reply() do the same in a pipeline.
 * After redis_conn_asking(conn, true) every command sent on conn is
 * preceded by ASKING in the same round trip (a Redis Cluster ASK
 * redirect), its +OK read and dropped; redis_pool_put() clears it.
 * Every socket wait is limited to the time left until the deadline.
 * Deadlines are CLOCK_MONOTONIC nanoseconds (redis_deadline()).
 * Errors are written to err (errlen bytes) as plain text.
 *
 * Telling a failure of the node from an error about one key: a command
 * fails at the connection level when it gets no reply (I/O error, EOF,
 * timeout, protocol error) or an error reply for which
 * redis_reply_node_error() is true: the node cannot serve any key now
 * (READONLY: no longer the master; LOADING, MASTERDOWN, BUSY, NOAUTH,
 * OOM, MISCONF, ...).  redis_conn_failed() is then true for that
 * connection, and redis_pool_put() closes it whatever ok says.  Any
 * other error reply (WRONGTYPE, an error raised by a script, an unknown
 * function) is about that command or its key: the connection stays good
 * and redis_conn_failed() false.  So after a command returned NULL or an
 * error reply, redis_conn_failed(conn) says whether to blame the node.
 */
#ifndef BULWARK_REDIS_POOL_H
#define BULWARK_REDIS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

struct redis_config;
struct redis_endpoint;
struct redis_pool;
struct redis_conn;

/* True when text is "host:port", "[address]:port" or (unix_ok) "unix:/path". */
bool redis_endpoint_valid(const char *text, bool unix_ok);

/* Now plus ms, on the monotonic clock, in nanoseconds. */
int64_t redis_deadline(unsigned ms);
int64_t redis_monotonic_ns(void);

struct redis_pool *redis_pool_open(const struct redis_config *rc, char *err,
    size_t errlen);
struct redis_pool *redis_pool_open_at(const struct redis_config *rc,
    const struct redis_endpoint *server);
void redis_pool_close(struct redis_pool *pool);

int redis_pool_get(struct redis_pool *pool, int64_t deadline,
    struct redis_conn **out, char *err, size_t errlen);
void redis_pool_put(struct redis_pool *pool, struct redis_conn *conn, bool ok);

redisReply *redis_conn_command(struct redis_conn *conn, int64_t deadline,
    int argc, const char **argv, const size_t *argvlen, char *err,
    size_t errlen);
int redis_conn_append(struct redis_conn *conn, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen);
void redis_conn_asking(struct redis_conn *conn, bool asking);
redisReply *redis_conn_reply(struct redis_conn *conn, int64_t deadline,
    char *err, size_t errlen);

int redis_pool_connect_own(struct redis_pool *pool, int64_t deadline,
    struct redis_conn **out, char *err, size_t errlen);
bool redis_pool_current(struct redis_pool *pool, const struct redis_conn *conn);
void redis_conn_close(struct redis_conn *conn);
int redis_conn_wait(struct redis_conn *conn, unsigned timeout_ms,
    redisReply **out, char *err, size_t errlen);

bool redis_reply_node_error(const redisReply *reply);
bool redis_conn_failed(const struct redis_conn *conn);

#endif
