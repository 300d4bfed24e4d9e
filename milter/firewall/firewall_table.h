/*
 * firewall_table.h - the elements the daemon believes are in its nftables
 * sets: host prefixes, each with the time it ends (0: never).
 *
 * An entry whose end has passed is gone from the kernel (the set's
 * timeout removed it): firewall_table_find() and firewall_table_covering()
 * never return one, and firewall_table_purge() drops them all.
 * firewall_table_put() adds or updates an entry; firewall_table_del()
 * removes one (absent is fine).  firewall_table_covering() returns an
 * entry alive at now whose prefix is shorter than key's and holds it, or
 * NULL; firewall_table_has_longer() tells whether any entry of key's
 * family has a longer prefix (so that key may hold some).
 * firewall_table_walk() calls fn with each entry (the table must not
 * change meanwhile).  Lookups cost one probe per distinct prefix length in
 * use, never a scan; purge and walk scan.  Not thread-safe: the worker
 * thread alone uses it.  Allocation failure aborts.
 */
#ifndef BULWARK_FIREWALL_TABLE_H
#define BULWARK_FIREWALL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct firewall_entry {
	struct host_key key;		/* family 0: a free slot */
	int64_t until;			/* Unix seconds; 0: no end */
};

struct firewall_table {
	struct firewall_entry *slots;
	size_t size;			/* a power of two, or 0 */
	size_t count;
	unsigned lengths[2][129];	/* entries per family and prefix length */
	uint64_t seed;
};

void firewall_table_init(struct firewall_table *t);
void firewall_table_free(struct firewall_table *t);
void firewall_table_clear(struct firewall_table *t);
struct firewall_entry *firewall_table_find(const struct firewall_table *t,
    const struct host_key *key, int64_t now);
void firewall_table_put(struct firewall_table *t, const struct host_key *key,
    int64_t until);
void firewall_table_del(struct firewall_table *t, const struct host_key *key);
const struct firewall_entry *firewall_table_covering(
    const struct firewall_table *t, const struct host_key *key, int64_t now);
bool firewall_table_has_longer(const struct firewall_table *t,
    const struct host_key *key);
/* Drop entries ended at now; returns how many are left. */
size_t firewall_table_purge(struct firewall_table *t, int64_t now);
void firewall_table_walk(const struct firewall_table *t,
    void (*fn)(const struct firewall_entry *e, void *arg), void *arg);

/* True when the prefixes a and b share an address. */
bool firewall_keys_overlap(const struct host_key *a, const struct host_key *b);

#endif
