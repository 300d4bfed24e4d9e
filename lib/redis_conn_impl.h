/*
 * redis_conn_impl.h - one Redis connection, as the pool (redis_pool.c)
 * and the connection's own code (redis_conn.c) share it; included by
 * those two only.  The public contract is in redis_pool.h.
 *
 * redis_conn_free() closes and frees conn.  redis_conn_expect_ok() sends
 * a command whose only good answer is +OK; redis_conn_check_master()
 * asks ROLE and wants "master".  Both return 0, or -1 with the reason in
 * err.
 */
#ifndef BULWARK_REDIS_CONN_IMPL_H
#define BULWARK_REDIS_CONN_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

struct redis_conn {
	redisContext *ctx;
	int64_t armed_ns;		/* socket timeout in force, -1: none */
	uint64_t generation;		/* the master it was made for */
	bool failed;			/* a connection-level failure seen */
	bool asking;			/* send ASKING before each command */
	struct redis_conn *next;	/* in the idle list */
};

void redis_conn_free(struct redis_conn *conn);
int redis_conn_expect_ok(struct redis_conn *conn, int64_t deadline,
    int argc, const char **argv, char *err, size_t errlen);
int redis_conn_check_master(struct redis_conn *conn, int64_t deadline,
    char *err, size_t errlen);

#endif
