/*
 * daemon.c - see daemon.h.
 *
 * The parent and the child share a pipe: the child writes one byte when
 * it is ready; end of file without that byte means it died first.  So
 * an init system that waits for the parent to exit (systemd's
 * Type=forking) knows the sockets are open and the pid file written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "privdrop_dir.h"

#define PIDFILE_MODE	0644

/* The child's end of the pipe to the waiting parent, or -1. */
static int daemon_ready_fd = -1;

/* The pid file this process made, to remove only that one. */
static struct {
	struct privdrop_dir dir;
	struct stat made;
} pidfile = { .dir = { .fd = -1 } };

/* The file just opened is the maker's own: only then give it its mode. */
static int pidfile_check(int fd, char *why, size_t whylen)
{
	if (fstat(fd, &pidfile.made) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (privdrop_dir_check_file(&pidfile.dir, &pidfile.made, why,
	    whylen) < 0)
		return -1;
	if (fchmod(fd, PIDFILE_MODE) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Opened as the directory's maker (privdrop_dir.h), never through a
 * link, and kept only when it is a plain file of the maker's with no
 * other name: a file another user put there is neither emptied nor
 * given a new mode.
 */
int pidfile_open(const char *path, const struct privdrop *p, char *err,
    size_t errlen)
{
	char why[512];
	int fd;

	if (privdrop_dir_open(&pidfile.dir, p, path, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "pid file %s: %s", path, why);
		return -1;
	}
	privdrop_dir_enter(&pidfile.dir);
	fd = openat(pidfile.dir.fd, pidfile.dir.name, O_WRONLY | O_CREAT |
	    O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, PIDFILE_MODE);
	if (fd < 0)
		snprintf(why, sizeof(why), "%s", errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
	privdrop_dir_leave(&pidfile.dir);
	if (fd >= 0 && pidfile_check(fd, why, sizeof(why)) < 0) {
		close(fd);
		fd = -1;
		memset(&pidfile.made, 0, sizeof(pidfile.made));
	}
	if (fd < 0)
		snprintf(err, errlen, "pid file %s: %s", path, why);
	return fd;
}

int pidfile_write(int fd, char *err, size_t errlen)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)len) != len) {
		snprintf(err, errlen, "pid file: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "pid file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void pidfile_remove(void)
{
	privdrop_dir_remove(&pidfile.dir, &pidfile.made);
	privdrop_dir_close(&pidfile.dir);
}

static void null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	for (int std = 0; std <= 2; std++)
		dup2(fd, std);
	if (fd > 2)
		close(fd);
}

/* In the parent: exit 0 once the child is ready, 1 if it died first. */
static void daemon_wait_ready(int fd)
{
	char byte;
	ssize_t n;

	while ((n = read(fd, &byte, 1)) < 0 && errno == EINTR)
		;
	_exit(n == 1 ? 0 : 1);
}

int daemon_detach(char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		daemon_wait_ready(fds[0]);
	}
	close(fds[0]);
	daemon_ready_fd = fds[1];
	setsid();
	if (chdir("/") < 0) {
		snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void daemon_ready(void)
{
	if (daemon_ready_fd < 0)
		return;
	fflush(stderr);
	null_stdio();
	(void)!write(daemon_ready_fd, "", 1);
	close(daemon_ready_fd);
	daemon_ready_fd = -1;
}
