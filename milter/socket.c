/*
 * socket.c - see socket.h.
 *
 * libmilter reports why it could not open a socket only to syslog, so the
 * usual mistakes with a unix socket (missing directory, a live socket, a
 * file in the way) are checked here first, to be told on the terminal.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "socket.h"
#include "socket_spec.h"

/* The unix socket this process created, to remove only that one. */
static struct stat socket_created;

/* The path of a unix socket spec, or NULL for another kind. */
static const char *unix_path(const char *spec)
{
	return strncmp(spec, "unix:", 5) == 0 ? spec + 5 : NULL;
}

int socket_check(const char *spec, char *err, size_t errlen)
{
	const char *problem = socket_spec_problem(spec);

	if (problem == NULL)
		return 0;
	snprintf(err, errlen, "%s", problem);
	return -1;
}

/* True when some process accepts connections on the unix socket path. */
static bool unix_live(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool live;

	if (fd < 0)
		return false;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return live;
}

static int check_directory(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path),
	    path);
	if (dir[0] == '\0')
		return 0;
	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	return 0;
}

int socket_unix_free(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (check_directory(path, err, errlen) < 0)
		return -1;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		snprintf(err, errlen, "%s exists and is not a socket", path);
	else if (unix_live(path))
		snprintf(err, errlen, "%s is in use by a running process",
		    path);
	else
		return 0;
	return -1;
}

int socket_open(const char *spec, unsigned mode, char *err, size_t errlen)
{
	const char *path = unix_path(spec);
	char why[256];

	if (socket_check(spec, why, sizeof(why)) < 0 ||
	    (path != NULL && socket_unix_free(path, why, sizeof(why)) < 0)) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	errno = 0;
	/* libmilter takes a char *; it does not write to it. */
	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_opensocket(path != NULL) != MI_SUCCESS) {
		snprintf(err, errlen, "%s: cannot listen: %s", spec,
		    errno != 0 ? strerror(errno) : "reason in syslog");
		return -1;
	}
	if (path != NULL && (chmod(path, mode) < 0 ||
	    lstat(path, &socket_created) < 0)) {
		snprintf(err, errlen, "%s: chmod %04o: %s", spec, mode,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void socket_remove(const char *spec)
{
	const char *path = unix_path(spec);
	struct stat st;

	if (path != NULL && lstat(path, &st) == 0 &&
	    st.st_dev == socket_created.st_dev &&
	    st.st_ino == socket_created.st_ino)
		unlink(path);
}
