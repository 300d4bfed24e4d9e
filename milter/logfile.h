/*
 * logfile.h - log_file: the daemon's log in a file of its own, for hosts
 * without a syslog daemon.
 *
 * logfile_open() opens path for appending, creating it with mode 0640,
 * as privdrop_dir.h says for p (privdrop_prepare()d): as the user in
 * the user's directory, else as root in a directory only root controls
 * (then the file stays root's: the daemon keeps writing through the
 * descriptor after it switched users).  It never follows a symbolic link
 * and refuses a file that is not a regular file of its maker's with a
 * single name.  Call it before privileges are dropped.  Returns the
 * descriptor (close-on-exec), or -1 with "log_file PATH: reason" in err.
 * The file is never truncated: rotate it by copying and truncating
 * (logrotate's copytruncate), or by renaming it and restarting.
 */
#ifndef BULWARK_LOGFILE_H
#define BULWARK_LOGFILE_H

#include <stddef.h>

#include "privdrop.h"

int logfile_open(const char *path, const struct privdrop *p, char *err,
    size_t errlen);

#endif
