/*
 * daemon.c - see daemon.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

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

static int null_stdio(char *err, size_t errlen)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	for (int std = 0; std <= 2; std++)
		dup2(fd, std);
	if (fd > 2)
		close(fd);
	return 0;
}

int daemon_detach(char *err, size_t errlen)
{
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") < 0) {
		snprintf(err, errlen, "chdir /: %s", strerror(errno));
		return -1;
	}
	return null_stdio(err, errlen);
}
