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

#include "privdrop_dir.h"
#include "socket.h"
#include "socket_spec.h"

/* The unix socket this process created, to remove only that one. */
static struct {
	struct privdrop_dir dir;
	struct stat made;
	char conn[sizeof("unix:") + PATH_MAX];
} socket_unix = { .dir = { .fd = -1 } };

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

/*
 * libmilter binds the unix socket by path and replaces one left behind;
 * it does so as the directory's maker, with the umask giving the mode
 * (no chmod by path afterwards).
 */
static int socket_open_unix(const char *spec, const char *path, unsigned mode,
    const struct privdrop *p, char *err, size_t errlen)
{
	struct privdrop_dir *d = &socket_unix.dir;
	char why[512];
	mode_t umask_saved;
	int rc;

	if (privdrop_dir_open(d, p, path, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	snprintf(socket_unix.conn, sizeof(socket_unix.conn), "unix:%s",
	    d->path);
	privdrop_dir_enter(d);
	if (socket_unix_free(d->path, why, sizeof(why)) < 0) {
		privdrop_dir_leave(d);
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	errno = 0;
	umask_saved = umask(~(mode_t)mode & 0777);
	/* libmilter takes a char *; it does not write to it. */
	rc = smfi_setconn(socket_unix.conn) == MI_SUCCESS &&
	    smfi_opensocket(true) == MI_SUCCESS ? 0 : -1;
	umask(umask_saved);
	if (rc == 0 && (privdrop_dir_stat(d, &socket_unix.made) < 0 ||
	    !S_ISSOCK(socket_unix.made.st_mode)))
		memset(&socket_unix.made, 0, sizeof(socket_unix.made));
	privdrop_dir_leave(d);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot listen: %s", spec,
		    errno != 0 ? strerror(errno) : "reason in syslog");
		return -1;
	}
	if (privdrop_dir_give(d, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	return 0;
}

int socket_open(const char *spec, unsigned mode, const struct privdrop *p,
    char *err, size_t errlen)
{
	const char *path = unix_path(spec);
	char why[256];

	if (socket_check(spec, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	if (path != NULL)
		return socket_open_unix(spec, path, mode, p, err, errlen);
	errno = 0;
	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_opensocket(false) != MI_SUCCESS) {
		snprintf(err, errlen, "%s: cannot listen: %s", spec,
		    errno != 0 ? strerror(errno) : "reason in syslog");
		return -1;
	}
	return 0;
}

void socket_remove(void)
{
	privdrop_dir_remove(&socket_unix.dir, &socket_unix.made);
	privdrop_dir_close(&socket_unix.dir);
}
