/*
 * hostlist.h - sets of addresses and CIDR prefixes (exclude, blocked).
 *
 * Entries are "192.0.2.1", "192.0.2.0/24", "2001:db8::/32", "::1".
 * A prefix with host bits set past its length ("192.0.2.1/24") is an
 * error, as is a prefix longer than the family allows.
 *
 * hostlist_add() returns 0, or -1 with a one-line reason in err.
 * hostlist_load_file() reads one entry per line; blank lines and text
 * from '#' to the end of line are ignored, surrounding blanks are trimmed.
 * On error it returns -1 with "path:line: reason" in err and the list
 * unchanged (a file is loaded whole or not at all).
 * hostlist_match() costs one lookup per distinct prefix length in the
 * list, not one per entry.
 * hostlist_walk() calls fn with every entry, as the key of its network,
 * in no particular order; fn returning non-zero stops the walk, and that
 * value is returned (0 when the walk ran to the end).
 */
#ifndef BULWARK_HOSTLIST_H
#define BULWARK_HOSTLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

struct hostlist;

struct hostlist *hostlist_new(void);
void hostlist_free(struct hostlist *list);
int hostlist_add(struct hostlist *list, const char *entry, char *err,
    size_t errlen);
int hostlist_load_file(struct hostlist *list, const char *path, char *err,
    size_t errlen);
bool hostlist_match(const struct hostlist *list, const struct host_addr *addr);
size_t hostlist_count(const struct hostlist *list);
int hostlist_walk(const struct hostlist *list,
    int (*fn)(const struct host_key *entry, void *arg), void *arg);

#endif
