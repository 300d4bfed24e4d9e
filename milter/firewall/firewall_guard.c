/*
 * firewall_guard.c - see firewall_guard.h.
 *
 * A prefix is refused when it shares any address with a guarded one: a
 * /64 holding the node's own address would cut the node off from its own
 * network as surely as the address itself.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall_guard.h"
#include "firewall_table.h"
#include "xalloc.h"

static const struct host_key guard_loopback[] = {
	{ .family = 4, .prefix = 8, .bytes = { 127 } },
	{ .family = 6, .prefix = 128, .bytes = { [15] = 1 } },
};

void firewall_guard_init(struct firewall_guard *g)
{
	memset(g, 0, sizeof(*g));
}

void firewall_guard_free(struct firewall_guard *g)
{
	free(g->own);
	firewall_guard_init(g);
}

static size_t guard_count(const struct ifaddrs *list)
{
	size_t n = 0;

	for (const struct ifaddrs *i = list; i != NULL; i = i->ifa_next)
		n++;
	return n;
}

int firewall_guard_load(struct firewall_guard *g, char *err, size_t errlen)
{
	struct ifaddrs *list;
	struct host_key *own;
	struct host_addr addr;
	size_t n = 0;

	if (getifaddrs(&list) < 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	own = xcalloc(guard_count(list) + 1, sizeof(*own));
	for (const struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
		if (addr_from_sockaddr(i->ifa_addr, &addr) == 0)
			addr_key(&addr, 128, 128, &own[n++]);
	}
	freeifaddrs(list);
	free(g->own);
	g->own = own;
	g->own_count = n;
	return 0;
}

static int guard_excluded(const struct host_key *entry, void *arg)
{
	return firewall_keys_overlap(entry, arg) ? 1 : 0;
}

const char *firewall_guard_refuses(const struct firewall_guard *g,
    const struct hostlist *exclude, const struct host_key *key)
{
	for (size_t i = 0; i < sizeof(guard_loopback) /
	    sizeof(guard_loopback[0]); i++) {
		if (firewall_keys_overlap(&guard_loopback[i], key))
			return "loopback";
	}
	for (size_t i = 0; i < g->own_count; i++) {
		if (firewall_keys_overlap(&g->own[i], key))
			return "own-address";
	}
	if (exclude != NULL && hostlist_walk(exclude, guard_excluded,
	    (void *)key) != 0)
		return "excluded";
	return NULL;
}
