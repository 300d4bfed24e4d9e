/*
 * privdrop.c - see privdrop.h.
 *
 * The order is the usual one: supplementary groups, group, user, since
 * after setuid() the process may no longer change its groups.  The
 * checks afterwards guard against a system where one of the calls
 * succeeded only in part.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privcaps.h"
#include "privdrop.h"

static int privdrop_lookup(struct privdrop *p, const char *user,
    const char *group, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user %s: %s", user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (group[0] == '\0')
		return 0;
	errno = 0;
	if ((gr = getgrnam(group)) == NULL) {
		snprintf(err, errlen, "group %s: %s", group,
		    errno != 0 ? strerror(errno) : "no such group");
		return -1;
	}
	p->gid = gr->gr_gid;
	return 0;
}

int privdrop_prepare(struct privdrop *p, const char *user, const char *group,
    char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (user[0] == '\0')
		return 0;
	snprintf(p->user, sizeof(p->user), "%s", user);
	snprintf(p->group, sizeof(p->group), "%s", group);
	if (privdrop_lookup(p, user, group, err, errlen) < 0)
		return -1;
	if (p->uid == 0) {
		snprintf(err, errlen, "user %s is root: leave user empty "
		    "to run as root", user);
		return -1;
	}
	if (geteuid() == 0) {
		p->needed = true;
		return 0;
	}
	if (getuid() == p->uid && geteuid() == p->uid &&
	    getgid() == p->gid && getegid() == p->gid)
		return 0;
	snprintf(err, errlen, "cannot switch to user %s: not running as "
	    "root", user);
	return -1;
}

/* Whether the process is now exactly the target user and group. */
static const char *privdrop_problem(const struct privdrop *p)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0)
		return "cannot read the process credentials";
	if (ruid != p->uid || euid != p->uid || suid != p->uid)
		return "user ids did not change";
	if (rgid != p->gid || egid != p->gid || sgid != p->gid)
		return "group ids did not change";
	if (getgroups(0, NULL) != 0)
		return "supplementary groups remain";
	if (setuid(0) == 0)
		return "root could be regained";
	if (privcaps_left(p->keep_net_admin))
		return "capabilities remain";
	return NULL;
}

int privdrop_apply(const struct privdrop *p, char *err, size_t errlen)
{
	const char *problem;

	if (!p->needed) {
		if (geteuid() == 0 || !privcaps_left(p->keep_net_admin) ||
		    privcaps_set(p->keep_net_admin) == 0)
			return 0;
		snprintf(err, errlen, "cannot drop capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if ((p->keep_net_admin && (privcaps_bound() < 0 ||
	    privcaps_keep_over_setuid(true) < 0)) ||
	    setgroups(0, NULL) < 0 || setgid(p->gid) < 0 ||
	    setuid(p->uid) < 0 || (p->keep_net_admin &&
	    (privcaps_set(true) < 0 || privcaps_keep_over_setuid(false) < 0))) {
		snprintf(err, errlen, "cannot switch to user %s: %s",
		    p->user, strerror(errno));
		return -1;
	}
	if ((problem = privdrop_problem(p)) != NULL) {
		snprintf(err, errlen, "after switching to user %s: %s",
		    p->user, problem);
		return -1;
	}
	return 0;
}
