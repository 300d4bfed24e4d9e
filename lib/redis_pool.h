/*
 * redis_pool.h - connections to Redis shared by many threads, each use
 * bounded by a deadline.
 *
 * redis_pool_open() checks the redis settings (server address, or the
 * sentinels and master_name, pool_size, timeout_ms) and connects nothing;
 * NULL with a reason in err when they are unusable.
 *
 * redis_pool_get() hands out an idle connection, or opens one when fewer
 * than pool_size exist: TCP or unix socket, then AUTH and SELECT as
 * configured; with sentinels the master's address is asked of each
 * sentinel in turn and the server must say ROLE master.  A thread waits
 * for a free connection at most until the deadline.  redis_pool_put()
 * gives it back; with ok false the connection is closed (an I/O error, a
 * protocol error, or a reply error the caller did not expect) and, with
 * sentinels, the next connection asks the sentinels again, so a failover
 * is followed.
 *
 * redis_conn_command() sends one command (binary-safe argv) and returns
 * its reply, or NULL when the connection failed or the deadline passed;
 * redis_conn_append() and redis_conn_reply() do the same in a pipeline.
 * Every socket wait is limited to the time left until the deadline.
 * Deadlines are CLOCK_MONOTONIC nanoseconds (redis_deadline()).
 * Errors are written to err (errlen bytes) as plain text.
 */
#ifndef BULWARK_REDIS_POOL_H
#define BULWARK_REDIS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

struct redis_config;
struct redis_pool;
struct redis_conn;

/* True when text is "host:port", "[address]:port" or (unix_ok) "unix:/path". */
bool redis_endpoint_valid(const char *text, bool unix_ok);

/* Now plus ms, on the monotonic clock, in nanoseconds. */
int64_t redis_deadline(unsigned ms);
int64_t redis_monotonic_ns(void);

struct redis_pool *redis_pool_open(const struct redis_config *rc, char *err,
    size_t errlen);
void redis_pool_close(struct redis_pool *pool);

int redis_pool_get(struct redis_pool *pool, int64_t deadline,
    struct redis_conn **out, char *err, size_t errlen);
void redis_pool_put(struct redis_pool *pool, struct redis_conn *conn, bool ok);

redisReply *redis_conn_command(struct redis_conn *conn, int64_t deadline,
    int argc, const char **argv, const size_t *argvlen, char *err,
    size_t errlen);
int redis_conn_append(struct redis_conn *conn, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen);
redisReply *redis_conn_reply(struct redis_conn *conn, int64_t deadline,
    char *err, size_t errlen);

#endif
