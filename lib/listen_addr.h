/*
 * listen_addr.h - a TCP address to listen on, written "ADDRESS:PORT" for
 * IPv4 ("127.0.0.1:9713", "0.0.0.0:9713" for every address) or
 * "[ADDRESS]:PORT" for IPv6 ("[::1]:9713", "[::]:9713").
 *
 * listen_addr_parse() fills out and returns 0, or returns -1 and points
 * *why at a static one-line reason.  The address must be numeric and the
 * port from 1 to 65535: a listener opened at start must not wait on DNS.
 */
#ifndef BULWARK_LISTEN_ADDR_H
#define BULWARK_LISTEN_ADDR_H

#include <sys/socket.h>

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

int listen_addr_parse(const char *text, struct listen_addr *out,
    const char **why);

#endif
