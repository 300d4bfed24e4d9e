/*
 * redis_endpoint.h - where a Redis server or sentinel listens, resolved
 * once, and connections to it bounded by a deadline.
 *
 * redis_endpoint_parse() reads "host:port", "[address]:port" or, with
 * unix_ok, "unix:/path"; -1 when the text is none of these.
 *
 * redis_endpoint_resolve() turns the host into numeric addresses (at most
 * REDIS_ADDRS_MAX): a numeric host is copied, a name is looked up with
 * getaddrinfo(), which blocks for as long as the resolver takes.  It is
 * called when the configuration is applied (and by the sentinel watcher
 * for a master the sentinels name by host name), never on the event
 * path.  -1 with the reason in err when a name does not resolve.
 *
 * redis_endpoint_connect() connects to the resolved addresses in turn
 * until one answers, each attempt bounded by the time left until the
 * deadline; it never looks a name up.  NULL with the reason in err.
 * redis_endpoint_same() compares two endpoints as configured (host text
 * and port).  redis_endpoint_text() writes "host:port" or "unix:/path".
 */
#ifndef BULWARK_REDIS_ENDPOINT_H
#define BULWARK_REDIS_ENDPOINT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#define REDIS_HOST_MAX		256
#define REDIS_ADDRS_MAX		4
#define REDIS_ADDR_TEXT_MAX	(INET6_ADDRSTRLEN + 16)	/* room for a scope */
#define REDIS_ENDPOINT_TEXT_MAX	(REDIS_HOST_MAX + 16)

struct redis_endpoint {
	char host[REDIS_HOST_MAX];	/* name, address, or socket path */
	int port;			/* 0: host is a unix socket path */
	char addrs[REDIS_ADDRS_MAX][REDIS_ADDR_TEXT_MAX];
	size_t addr_count;		/* 0 until resolved */
};

int redis_endpoint_parse(const char *text, bool unix_ok,
    struct redis_endpoint *ep);
int redis_endpoint_port_parse(const char *text, int *port);
int redis_endpoint_host_set(struct redis_endpoint *ep, const char *host,
    size_t len);
int redis_endpoint_resolve(struct redis_endpoint *ep, char *err,
    size_t errlen);
redisContext *redis_endpoint_connect(const struct redis_endpoint *ep,
    int64_t deadline, char *err, size_t errlen);
bool redis_endpoint_same(const struct redis_endpoint *a,
    const struct redis_endpoint *b);
void redis_endpoint_text(const struct redis_endpoint *ep, char *buf,
    size_t len);

/* Time left until deadline as a timeval; -1 when too little is left. */
int redis_endpoint_time_left(int64_t deadline, int64_t *left,
    struct timeval *tv);

#endif
