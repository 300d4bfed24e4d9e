/*
 * daemon.h - running in the background, and the pid file.
 *
 * pidfile_open() opens the pid file for writing, creating it with mode
 * 0644, as privdrop_dir.h says for p (privdrop_prepare()d): as the user
 * in the user's directory, else as root in a directory only root
 * controls; a directory that is neither is refused.  It never follows a
 * symbolic link, and refuses a file that is not a regular file of its
 * maker's with a single name (one another user could have put there).
 * Nothing is written yet: it is called before the process detaches, so
 * a bad path is still reported on the terminal.  Returns the
 * descriptor, or -1 with the reason in err.
 * pidfile_write() replaces the content with the calling process's id and
 * closes fd; returns 0, or -1 with the reason in err.
 * pidfile_remove() removes the pid file pidfile_open() made, if it is
 * still that file; safe when none was made.
 *
 * daemon_detach() forks.  The parent waits until the child calls
 * daemon_ready() and then exits 0; if the child exits first (a start-up
 * error after the fork, such as a failed privilege drop), the parent
 * exits 1.  Either way the parent never returns.  The child carries on in
 * a new session, in "/", its standard streams still those of the
 * terminal, so its errors are seen there until it is ready; paths used
 * afterwards must be absolute.  Returns 0 in the child, or -1 with the
 * reason in err (the caller should exit).
 * daemon_ready() tells the parent to exit and puts the standard streams
 * on /dev/null; it does nothing in a process that did not detach.
 */
#ifndef BULWARK_DAEMON_H
#define BULWARK_DAEMON_H

#include <stddef.h>

#include "privdrop.h"

int pidfile_open(const char *path, const struct privdrop *p, char *err,
    size_t errlen);
int pidfile_write(int fd, char *err, size_t errlen);
void pidfile_remove(void);
int daemon_detach(char *err, size_t errlen);
void daemon_ready(void);

#endif
