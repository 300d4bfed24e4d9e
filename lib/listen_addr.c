/*
 * listen_addr.c - see listen_addr.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "listen_addr.h"

#define LISTEN_ADDR_HOST_MAX	INET6_ADDRSTRLEN

static const char listen_addr_form[] =
    "expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT with a numeric address";

static int listen_addr_port(const char *text, in_port_t *port)
{
	size_t digits = strspn(text, "0123456789");
	unsigned long n = strtoul(text, NULL, 10);

	if (digits == 0 || digits > 5 || text[digits] != '\0' || n < 1 ||
	    n > 65535)
		return -1;
	*port = htons((in_port_t)n);
	return 0;
}

/* Split "host:port" or "[host]:port"; the port text is returned. */
static const char *listen_addr_split(const char *text, char *host,
    bool *v6)
{
	const char *end, *port;

	*v6 = text[0] == '[';
	if (*v6) {
		text++;
		if ((end = strchr(text, ']')) == NULL || end[1] != ':')
			return NULL;
		port = end + 2;
	} else {
		if ((end = strrchr(text, ':')) == NULL)
			return NULL;
		port = end + 1;
	}
	if (end == text || (size_t)(end - text) >= LISTEN_ADDR_HOST_MAX)
		return NULL;
	memcpy(host, text, (size_t)(end - text));
	host[end - text] = '\0';
	return port;
}

int listen_addr_parse(const char *text, struct listen_addr *out,
    const char **why)
{
	char host[LISTEN_ADDR_HOST_MAX];
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
	const char *port;
	in_port_t n;
	bool v6;

	memset(out, 0, sizeof(*out));
	*why = listen_addr_form;
	if ((port = listen_addr_split(text, host, &v6)) == NULL)
		return -1;
	if (listen_addr_port(port, &n) < 0) {
		*why = "the port must be a number from 1 to 65535";
		return -1;
	}
	if (v6 && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = n;
		out->len = sizeof(*sin6);
		return 0;
	}
	if (!v6 && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = n;
		out->len = sizeof(*sin);
		return 0;
	}
	return -1;
}
