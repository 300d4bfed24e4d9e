/*
 * daemon.h - running in the background, and the pid file.
 *
 * pidfile_open() creates (or empties) the pid file for writing.  It is
 * called before the process detaches, so a bad path is still reported
 * on the terminal.  Returns the open file, or NULL with the reason in err.
 * pidfile_write() writes the calling process's id to it and closes it;
 * returns 0, or -1 with the reason in err.
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
#include <stdio.h>

FILE *pidfile_open(const char *path, char *err, size_t errlen);
int pidfile_write(FILE *fp, char *err, size_t errlen);
int daemon_detach(char *err, size_t errlen);
void daemon_ready(void);

#endif
