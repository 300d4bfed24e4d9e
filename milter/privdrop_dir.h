/*
 * privdrop_dir.h - the directories of the files the daemon makes (its
 * unix sockets and its pid file), and as whom it makes them.
 *
 * Started as root, the daemon must never let another user steer what
 * root does to a path: swap a new socket for a symbolic link to a file of
 * root's, plant a link or a file where the pid file goes.  So each file
 * is made by whoever already controls its directory:
 *
 *   - not started as root: as the process itself (nothing to guard);
 *   - the directory belongs to the user the daemon switches to: as that
 *     user (the file system ids of the calling thread are switched for
 *     the time of the work, see privdrop_dir_enter()), so root's rights
 *     are never used there and the file is the user's from the start;
 *   - otherwise the directory and every directory above it must be
 *     writable by root only (or set sticky, such as /tmp): nobody else
 *     can then change what the path names, and the file is made as root,
 *     then given to the user with a call that does not follow links;
 *   - anything else (a directory another user owns, or that a group or
 *     every user may write to) is refused, naming the directory.
 *
 * privdrop_dir_open() checks the directory of the absolute path for p (a
 * privdrop_prepare()d state) and opens it.  Returns 0, or -1 with
 * "directory DIR: reason" in err.  d->path is then the path to use: the
 * configured one, or, when made as root, the same with every symbolic
 * link of its directories resolved (the one that was checked).
 * privdrop_dir_enter() makes the calling thread act on files as the
 * maker chosen for d; privdrop_dir_leave() undoes it.  Both do nothing
 * unless the maker is the user and the process is still root.
 * privdrop_dir_check_file() returns 0 when st (a file found at the path)
 * is something the maker may reuse: it belongs to the maker and has no
 * other name (a hard link to another file would share its owner);
 * otherwise -1 with the reason in err.
 * privdrop_dir_give() gives the file just made as root to the user (and
 * to the group, unless the directory is set-group-ID and chose it),
 * without following a link; nothing to do in the other cases.  Returns 0,
 * or -1 with the reason in err.
 * privdrop_dir_stat() is fstatat() of the file in the directory, without
 * following a link; privdrop_dir_remove() removes the file when it is
 * still the one described by made (after privdrop_dir_stat()), as the
 * maker.  privdrop_dir_close() closes the directory; safe to repeat.
 */
#ifndef BULWARK_PRIVDROP_DIR_H
#define BULWARK_PRIVDROP_DIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "privdrop.h"

enum privdrop_maker {
	PRIVDROP_MAKER_SELF,		/* not root: the process as it is */
	PRIVDROP_MAKER_USER,		/* the user's own directory */
	PRIVDROP_MAKER_ROOT,		/* root's directory */
};

struct privdrop_dir {
	int fd;				/* the directory (O_PATH), or -1 */
	enum privdrop_maker maker;
	uid_t uid;			/* the maker's */
	gid_t gid;
	bool give;			/* made as root, for the user */
	uid_t give_uid;
	gid_t give_gid;			/* or (gid_t)-1: the directory's */
	char name[NAME_MAX + 1];	/* the file in the directory */
	char path[PATH_MAX];		/* the path to use */
};

int privdrop_dir_open(struct privdrop_dir *d, const struct privdrop *p,
    const char *path, char *err, size_t errlen);
void privdrop_dir_enter(const struct privdrop_dir *d);
void privdrop_dir_leave(const struct privdrop_dir *d);
int privdrop_dir_check_file(const struct privdrop_dir *d,
    const struct stat *st, char *err, size_t errlen);
int privdrop_dir_give(const struct privdrop_dir *d, char *err, size_t errlen);
int privdrop_dir_stat(const struct privdrop_dir *d, struct stat *st);
void privdrop_dir_remove(const struct privdrop_dir *d,
    const struct stat *made);
void privdrop_dir_close(struct privdrop_dir *d);

#endif
