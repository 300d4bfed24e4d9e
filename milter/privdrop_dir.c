/*
 * privdrop_dir.c - see privdrop_dir.h.
 *
 * Acting as the user uses setfsuid()/setfsgid(): they change only how
 * the calling thread is checked and whom what it creates belongs to,
 * leave the process root for everything else, and going back to 0 gives
 * the file system capabilities back.  A unix socket's file cannot be
 * given away through its descriptor (fchown() on a socket changes
 * nothing on disk), hence the choice of maker rather than a chown after
 * the fact.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "privdrop_dir.h"

/* Why root alone does not control the directory st, or NULL. */
static const char *privdrop_dir_problem(const struct stat *st, char *buf,
    size_t len)
{
	const struct passwd *pw;
	const struct group *gr;

	if (!S_ISDIR(st->st_mode))
		return "is not a directory";
	if (st->st_uid != 0) {
		pw = getpwuid(st->st_uid);
		if (pw != NULL)
			snprintf(buf, len, "belongs to user %s", pw->pw_name);
		else
			snprintf(buf, len, "belongs to uid %lu",
			    (unsigned long)st->st_uid);
		return buf;
	}
	/* In a sticky directory only an entry's owner may replace it. */
	if ((st->st_mode & S_ISVTX) != 0)
		return NULL;
	if ((st->st_mode & S_IWOTH) != 0)
		return "is writable by every user";
	if ((st->st_mode & S_IWGRP) != 0 && st->st_gid != 0) {
		gr = getgrgid(st->st_gid);
		if (gr != NULL)
			snprintf(buf, len, "is writable by group %s",
			    gr->gr_name);
		else
			snprintf(buf, len, "is writable by gid %lu",
			    (unsigned long)st->st_gid);
		return buf;
	}
	return NULL;
}

static int privdrop_dir_check_one(const char *dir, const struct privdrop *p,
    char *err, size_t errlen)
{
	const char *problem;
	struct stat st;
	char why[128];

	if (lstat(dir, &st) < 0) {
		snprintf(err, errlen, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((problem = privdrop_dir_problem(&st, why, sizeof(why))) == NULL)
		return 0;
	snprintf(err, errlen, "directory %s %s: started as root, bulwark "
	    "needs it and every directory above it writable by root only%s%s",
	    dir, problem, p->needed ? ", or the directory owned by user " : "",
	    p->needed ? p->user : "");
	return -1;
}

/* Every directory from / down to dir (resolved) is root's alone. */
static int privdrop_dir_check_root(const char *dir, const struct privdrop *p,
    char *err, size_t errlen)
{
	char prefix[PATH_MAX];
	const char *next = dir;

	if (privdrop_dir_check_one("/", p, err, errlen) < 0)
		return -1;
	while (next != NULL && next[1] != '\0') {
		next = strchr(next + 1, '/');
		snprintf(prefix, sizeof(prefix), "%.*s", next != NULL ?
		    (int)(next - dir) : (int)strlen(dir), dir);
		if (privdrop_dir_check_one(prefix, p, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int privdrop_dir_split(struct privdrop_dir *d, const char *path,
    char *dir, size_t dirlen, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');

	if (path[0] != '/' || slash == NULL || slash[1] == '\0' ||
	    strlen(slash + 1) >= sizeof(d->name) ||
	    (size_t)(slash - path) >= dirlen) {
		snprintf(err, errlen, "%s: expected an absolute path to a file",
		    path);
		return -1;
	}
	snprintf(d->name, sizeof(d->name), "%s", slash + 1);
	snprintf(dir, dirlen, "%.*s", slash == path ? 1 : (int)(slash - path),
	    path);
	return 0;
}

static int privdrop_dir_open_fd(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		snprintf(err, errlen, "directory %s: %s", dir, strerror(errno));
	return fd;
}

/* Root's directory: resolve it, check it, open what was checked. */
static int privdrop_dir_open_root(struct privdrop_dir *d,
    const struct privdrop *p, const char *dir, char *err, size_t errlen)
{
	char resolved[PATH_MAX];
	struct stat st;
	int n;

	if (realpath(dir, resolved) == NULL) {
		snprintf(err, errlen, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (privdrop_dir_check_root(resolved, p, err, errlen) < 0 ||
	    (d->fd = privdrop_dir_open_fd(resolved, err, errlen)) < 0)
		return -1;
	n = snprintf(d->path, sizeof(d->path), "%s/%s",
	    strcmp(resolved, "/") == 0 ? "" : resolved, d->name);
	if (n < 0 || (size_t)n >= sizeof(d->path)) {
		snprintf(err, errlen, "directory %s: path too long", resolved);
		return -1;
	}
	d->maker = PRIVDROP_MAKER_ROOT;
	d->give = p->needed;
	d->give_uid = p->uid;
	/* A set-group-ID directory chose the group: keep it. */
	d->give_gid = fstat(d->fd, &st) == 0 && (st.st_mode & S_ISGID) != 0 ?
	    (gid_t)-1 : p->gid;
	return 0;
}

int privdrop_dir_open(struct privdrop_dir *d, const struct privdrop *p,
    const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (privdrop_dir_split(d, path, dir, sizeof(dir), err, errlen) < 0)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->uid = geteuid();
	d->gid = getegid();
	if ((d->fd = privdrop_dir_open_fd(dir, err, errlen)) < 0)
		return -1;
	if (d->uid != 0)
		return 0;
	if (fstat(d->fd, &st) < 0) {
		snprintf(err, errlen, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (p->needed && st.st_uid == p->uid) {
		d->maker = PRIVDROP_MAKER_USER;
		d->uid = p->uid;
		d->gid = p->gid;
		return 0;
	}
	close(d->fd);
	d->fd = -1;
	d->gid = 0;
	return privdrop_dir_open_root(d, p, dir, err, errlen);
}

static bool privdrop_dir_switches(const struct privdrop_dir *d)
{
	return d->maker == PRIVDROP_MAKER_USER && geteuid() == 0;
}

void privdrop_dir_enter(const struct privdrop_dir *d)
{
	if (!privdrop_dir_switches(d))
		return;
	setfsgid(d->gid);
	setfsuid(d->uid);
}

void privdrop_dir_leave(const struct privdrop_dir *d)
{
	if (!privdrop_dir_switches(d))
		return;
	setfsuid(geteuid());
	setfsgid(getegid());
}

int privdrop_dir_check_file(const struct privdrop_dir *d,
    const struct stat *st, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode))
		snprintf(err, errlen, "is not a regular file");
	else if (st->st_uid != d->uid)
		snprintf(err, errlen, "belongs to uid %lu, not to uid %lu",
		    (unsigned long)st->st_uid, (unsigned long)d->uid);
	else if (st->st_nlink != 1)
		snprintf(err, errlen, "has %lu hard links",
		    (unsigned long)st->st_nlink);
	else
		return 0;
	return -1;
}

int privdrop_dir_give(const struct privdrop_dir *d, char *err, size_t errlen)
{
	if (!d->give || fchownat(d->fd, d->name, d->give_uid, d->give_gid,
	    AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	snprintf(err, errlen, "chown %s: %s", d->path, strerror(errno));
	return -1;
}

int privdrop_dir_stat(const struct privdrop_dir *d, struct stat *st)
{
	return fstatat(d->fd, d->name, st, AT_SYMLINK_NOFOLLOW);
}

void privdrop_dir_remove(const struct privdrop_dir *d,
    const struct stat *made)
{
	struct stat st;

	if (d->fd < 0)
		return;
	privdrop_dir_enter(d);
	if (privdrop_dir_stat(d, &st) == 0 && st.st_dev == made->st_dev &&
	    st.st_ino == made->st_ino)
		unlinkat(d->fd, d->name, 0);
	privdrop_dir_leave(d);
}

void privdrop_dir_close(struct privdrop_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
