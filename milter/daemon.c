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
#include <string.h>
#include <unistd.h>

#include "daemon.h"

/* The child's end of the pipe to the waiting parent, or -1. */
static int daemon_ready_fd = -1;

FILE *pidfile_open(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
	return fp;
}

int pidfile_write(FILE *fp, char *err, size_t errlen)
{
	fprintf(fp, "%ld\n", (long)getpid());
	if (ferror(fp) | fclose(fp)) {
		snprintf(err, errlen, "pid file: %s", strerror(errno));
		return -1;
	}
	return 0;
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
