/*
 * socket_spec.c - see socket_spec.h.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "socket_spec.h"

#define SOCKET_SPEC_HOST_MAX 255

static bool socket_spec_host_valid(const char *host, bool v6)
{
	size_t len = strlen(host);

	if (len == 0 || len > SOCKET_SPEC_HOST_MAX)
		return false;
	for (const char *p = host; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    !(v6 && *p == ':'))
			return false;
	}
	return true;
}

static const char *socket_spec_unix_problem(const char *path)
{
	if (path[0] != '/')
		return "the socket path must be absolute";
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return "the socket path is too long";
	return NULL;
}

static const char *socket_spec_inet_problem(const char *spec, bool v6)
{
	size_t digits = strspn(spec, "0123456789");
	unsigned long port = strtoul(spec, NULL, 10);

	if (digits == 0 || digits > 5 || port < 1 || port > 65535)
		return "the port must be a number from 1 to 65535";
	if (spec[digits] == '\0')
		return NULL;
	if (spec[digits] != '@' || !socket_spec_host_valid(spec + digits + 1, v6))
		return "expected PORT@HOST, HOST an address or a host name";
	return NULL;
}

const char *socket_spec_problem(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return socket_spec_unix_problem(spec + 5);
	if (strncmp(spec, "inet:", 5) == 0)
		return socket_spec_inet_problem(spec + 5, false);
	if (strncmp(spec, "inet6:", 6) == 0)
		return socket_spec_inet_problem(spec + 6, true);
	return "expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST";
}
