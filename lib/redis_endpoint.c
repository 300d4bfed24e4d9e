/*
 * redis_endpoint.c - Redis addresses: parsed, resolved once, connected
 * to.  See redis_endpoint.h for the contract.
 *
 * hiredis resolves the host it is given on every connect; it is only
 * ever given the numeric addresses found here, which it parses without a
 * lookup.  The monotonic clock helpers of redis_pool.h live here too,
 * since every wait below is bounded by a deadline on that clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "redis_endpoint.h"
#include "redis_pool.h"

#define REDIS_MIN_WAIT_NS	1000000		/* less time left: timed out */

int64_t redis_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t redis_deadline(unsigned ms)
{
	return redis_monotonic_ns() + (int64_t)ms * 1000000;
}

int redis_endpoint_time_left(int64_t deadline, int64_t *left,
    struct timeval *tv)
{
	*left = deadline - redis_monotonic_ns();
	if (*left < REDIS_MIN_WAIT_NS)
		return -1;
	tv->tv_sec = *left / 1000000000;
	tv->tv_usec = *left % 1000000000 / 1000;
	return 0;
}

int redis_endpoint_port_parse(const char *text, int *port)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || n < 1 || n > 65535)
		return -1;
	*port = (int)n;
	return 0;
}

int redis_endpoint_host_set(struct redis_endpoint *ep, const char *host,
    size_t len)
{
	if (len == 0 || len >= sizeof(ep->host) || memchr(host, '\0', len))
		return -1;
	memcpy(ep->host, host, len);
	ep->host[len] = '\0';
	ep->addr_count = 0;
	return 0;
}

int redis_endpoint_parse(const char *text, bool unix_ok,
    struct redis_endpoint *ep)
{
	const char *colon;

	memset(ep, 0, sizeof(*ep));
	if (unix_ok && strncmp(text, "unix:", 5) == 0) {
		if (strlen(text + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return -1;
		return redis_endpoint_host_set(ep, text + 5, strlen(text + 5));
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':' ||
		    redis_endpoint_host_set(ep, text + 1,
		    (size_t)(close - text - 1)) < 0)
			return -1;
		return redis_endpoint_port_parse(close + 2, &ep->port);
	}
	colon = strrchr(text, ':');
	if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL ||
	    redis_endpoint_host_set(ep, text, (size_t)(colon - text)) < 0)
		return -1;
	return redis_endpoint_port_parse(colon + 1, &ep->port);
}

static bool redis_endpoint_numeric(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

static void redis_endpoint_add(struct redis_endpoint *ep, const char *addr)
{
	for (size_t i = 0; i < ep->addr_count; i++) {
		if (strcmp(ep->addrs[i], addr) == 0)
			return;
	}
	if (ep->addr_count < REDIS_ADDRS_MAX)
		snprintf(ep->addrs[ep->addr_count++], REDIS_ADDR_TEXT_MAX, "%s",
		    addr);
}

int redis_endpoint_resolve(struct redis_endpoint *ep, char *err,
    size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char addr[REDIS_ADDR_TEXT_MAX];
	int rc;

	ep->addr_count = 0;
	if (ep->port == 0 || redis_endpoint_numeric(ep->host)) {
		redis_endpoint_add(ep, ep->host);
		return 0;
	}
	if ((rc = getaddrinfo(ep->host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", ep->host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
		    NULL, 0, NI_NUMERICHOST) == 0)
			redis_endpoint_add(ep, addr);
	}
	freeaddrinfo(res);
	if (ep->addr_count == 0) {
		snprintf(err, errlen, "cannot resolve %s: no IP address",
		    ep->host);
		return -1;
	}
	return 0;
}

static redisContext *redis_endpoint_try(const struct redis_endpoint *ep,
    const char *addr, int64_t deadline, char *err, size_t errlen)
{
	struct timeval tv;
	redisContext *c;
	int64_t left;

	if (redis_endpoint_time_left(deadline, &left, &tv) < 0) {
		snprintf(err, errlen, "connect %s: timed out", ep->host);
		return NULL;
	}
	/* A unix path is used whole: addrs[] holds numeric addresses only. */
	c = ep->port == 0 ? redisConnectUnixWithTimeout(ep->host, tv) :
	    redisConnectWithTimeout(addr, ep->port, tv);
	if (c == NULL) {
		snprintf(err, errlen, "connect %s: out of memory", ep->host);
		return NULL;
	}
	if (c->err == 0)
		return c;
	if (ep->port == 0)
		snprintf(err, errlen, "connect %s: %s", ep->host, c->errstr);
	else
		snprintf(err, errlen, "connect %s port %d: %s", addr, ep->port,
		    c->errstr);
	redisFree(c);
	return NULL;
}

redisContext *redis_endpoint_connect(const struct redis_endpoint *ep,
    int64_t deadline, char *err, size_t errlen)
{
	redisContext *c = NULL;

	if (ep->addr_count == 0)
		snprintf(err, errlen, "%s was not resolved", ep->host);
	for (size_t i = 0; i < ep->addr_count && c == NULL; i++)
		c = redis_endpoint_try(ep, ep->addrs[i], deadline, err, errlen);
	return c;
}

bool redis_endpoint_same(const struct redis_endpoint *a,
    const struct redis_endpoint *b)
{
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

void redis_endpoint_text(const struct redis_endpoint *ep, char *buf,
    size_t len)
{
	if (ep->port == 0)
		snprintf(buf, len, "unix:%s", ep->host);
	else if (strchr(ep->host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", ep->host, ep->port);
	else
		snprintf(buf, len, "%s:%d", ep->host, ep->port);
}
