/*
 * logfile.c - see logfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logfile.h"
#include "privdrop_dir.h"

#define LOGFILE_MODE	0640

int logfile_open(const char *path, const struct privdrop *p, char *err,
    size_t errlen)
{
	struct privdrop_dir d;
	struct stat st;
	char why[512];
	int fd;

	if (privdrop_dir_open(&d, p, path, why, sizeof(why)) < 0) {
		privdrop_dir_close(&d);
		snprintf(err, errlen, "log_file %s: %s", path, why);
		return -1;
	}
	privdrop_dir_enter(&d);
	fd = openat(d.fd, d.name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC, LOGFILE_MODE);
	if (fd < 0)
		snprintf(why, sizeof(why), "%s", errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
	privdrop_dir_leave(&d);
	if (fd >= 0 && fstat(fd, &st) < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		close(fd);
		fd = -1;
	} else if (fd >= 0 && privdrop_dir_check_file(&d, &st, why,
	    sizeof(why)) < 0) {
		close(fd);
		fd = -1;
	}
	privdrop_dir_close(&d);
	if (fd < 0)
		snprintf(err, errlen, "log_file %s: %s", path, why);
	return fd;
}
