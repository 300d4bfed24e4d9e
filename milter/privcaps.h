/*
 * privcaps.h - the one capability the daemon may keep: CAP_NET_ADMIN, for
 * the firewall's nftables sets.  Raw capget/capset/prctl, without libcap.
 *
 * privcaps_bound() cuts the bounding set to CAP_NET_ADMIN (needs
 * CAP_SETPCAP: call it as root).  privcaps_keep_over_setuid(on) sets
 * PR_SET_KEEPCAPS, so that the permitted set survives setuid().
 * privcaps_set(keep) leaves CAP_NET_ADMIN alone in the permitted and
 * effective sets when keep is true and it is held, else nothing; no
 * capability stays inheritable or ambient.  privcaps_left(keep) tells
 * whether the process holds any capability but CAP_NET_ADMIN (or any at
 * all, when keep is false).  The first three return 0, or -1 with errno.
 */
#ifndef BULWARK_PRIVCAPS_H
#define BULWARK_PRIVCAPS_H

#include <stdbool.h>

int privcaps_bound(void);
int privcaps_keep_over_setuid(bool on);
int privcaps_set(bool keep);
bool privcaps_left(bool keep);

#endif
