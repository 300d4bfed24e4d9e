/*
 * privdrop.h - giving up root for the configured user and group.
 *
 * privdrop_prepare() looks the user and group up while errors still
 * reach the terminal.  user "" means: stay who we are (nothing to do).
 * group "" means the user's primary group.  It fails, returning -1 with
 * the reason in err, when the user or the group does not exist, when the
 * user is root (leave user empty to run as root), or when the process is
 * not root and is not already that user and group.  Otherwise 0.
 *
 * The files the daemon makes before the switch (unix sockets, pid file)
 * are made so that they are the user's from the start: privdrop_dir.h.
 *
 * privdrop_apply() clears the supplementary groups, sets the group, then
 * the user, and checks the result: real and effective ids are the
 * target's, no supplementary group is left and root cannot be regained.
 * Call it once, before starting any thread.  Returns 0, or -1 with the
 * reason in err: the caller must exit then, never carry on as root.
 *
 * keep_net_admin (set by the caller after privdrop_prepare(): the
 * firewall is on) keeps CAP_NET_ADMIN, and only it, across the switch
 * (privcaps.h).  A process that is not root and need not switch (a unit
 * that starts it as its user with AmbientCapabilities) keeps CAP_NET_ADMIN
 * when it holds it and keep_net_admin is set, and gives up any other.
 */
#ifndef BULWARK_PRIVDROP_H
#define BULWARK_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privdrop {
	bool needed;			/* a switch of user is to be made */
	bool keep_net_admin;		/* keep CAP_NET_ADMIN (the firewall) */
	uid_t uid;
	gid_t gid;
	char user[64];
	char group[64];
};

int privdrop_prepare(struct privdrop *p, const char *user, const char *group,
    char *err, size_t errlen);
int privdrop_apply(const struct privdrop *p, char *err, size_t errlen);

#endif
