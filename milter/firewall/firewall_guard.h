/*
 * firewall_guard.h - the prefixes the firewall must never drop: loopback
 * (127.0.0.0/8, ::1), the node's own addresses and excluded hosts.
 *
 * firewall_guard_load() reads the node's addresses with getifaddrs(), as
 * they are now (the worker calls it at start and at each reload); on
 * failure it returns -1 with the reason in err and keeps the addresses it
 * had.  firewall_guard_refuses() returns why key must not be pushed
 * ("loopback", "own-address", "excluded": key holds, or lies inside, one
 * of exclude's entries), or NULL when it may.  It costs a walk of the
 * exclude list and of the node's addresses.
 */
#ifndef BULWARK_FIREWALL_GUARD_H
#define BULWARK_FIREWALL_GUARD_H

#include <stddef.h>

#include "addr.h"
#include "hostlist.h"

struct firewall_guard {
	struct host_key *own;		/* the node's addresses, full length */
	size_t own_count;
};

void firewall_guard_init(struct firewall_guard *g);
void firewall_guard_free(struct firewall_guard *g);
int firewall_guard_load(struct firewall_guard *g, char *err, size_t errlen);
const char *firewall_guard_refuses(const struct firewall_guard *g,
    const struct hostlist *exclude, const struct host_key *key);

#endif
