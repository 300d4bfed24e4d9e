/*
 * control.c - see control.h.
 *
 * The thread polls the listening socket and the read end of a pipe;
 * control_stop() writes to the pipe, so the thread is never cancelled
 * in the middle of a command.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "log.h"
#include "privdrop_dir.h"
#include "signals.h"
#include "socket.h"

static struct {
	int fd;				/* listening, or -1 */
	struct privdrop_dir dir;	/* where the socket file is */
	struct stat created;		/* to remove only our own file */
	int stop[2];			/* pipe: written to stop the thread */
	pthread_t thread;
	bool running;
	struct runtime *rt;
} control = { .fd = -1, .dir = { .fd = -1 }, .stop = { -1, -1 } };

/* Bound with the umask giving the mode: no chmod by path afterwards. */
static int control_listen(const char *path, unsigned mode, char *why,
    size_t whylen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t umask_saved;
	int fd, bound;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "path too long for a socket");
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	umask_saved = umask(~(mode_t)mode & 0777);
	bound = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(umask_saved);
	if (bound < 0 || listen(fd, CONTROL_BACKLOG) < 0 ||
	    privdrop_dir_stat(&control.dir, &control.created) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* As the directory's maker: see privdrop_dir.h. */
static int control_make(unsigned mode, char *why, size_t whylen)
{
	struct privdrop_dir *d = &control.dir;
	int fd = -1;

	privdrop_dir_enter(d);
	if (socket_unix_free(d->path, why, whylen) == 0) {
		unlinkat(d->fd, d->name, 0);
		fd = control_listen(d->path, mode, why, whylen);
	}
	privdrop_dir_leave(d);
	if (fd >= 0 && privdrop_dir_give(d, why, whylen) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int control_open(const char *spec, unsigned mode, const struct privdrop *p,
    char *err, size_t errlen)
{
	const char *path = spec + strlen("unix:");
	char why[512];

	if (privdrop_dir_open(&control.dir, p, path, why, sizeof(why)) < 0 ||
	    (control.fd = control_make(mode, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	return 0;
}

/*
 * The request line, NUL-terminated without its '\n'.  Returns 0, -1 when
 * it is too long, -2 when reading failed or timed out (then nothing is
 * run: half a request is no request).
 */
static int control_read_line(int fd, char *line, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = read(fd, line + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -2;
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(line + len - (size_t)n, '\n', (size_t)n) != NULL)
			break;
	}
	if (len == size && memchr(line, '\n', len) == NULL)
		return -1;
	line[strcspn(line, "\n")] = '\0';
	return 0;
}

static void control_write_all(int fd, const char *text)
{
	size_t left = strlen(text);
	ssize_t n;

	while (left > 0) {
		n = write(fd, text, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		left -= (size_t)n;
	}
}

static uid_t control_peer(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return (uid_t)-1;
	return cred.uid;
}

static void control_serve(int fd)
{
	struct timeval tv = { CONTROL_TIMEOUT_S, 0 };
	char line[CONTROL_LINE_MAX + 2];
	char *answer;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(line, 0, sizeof(line));
	switch (control_read_line(fd, line, sizeof(line) - 1)) {
	case 0:
		answer = commands_run(control.rt, line, control_peer(fd));
		break;
	case -1:
		answer = commands_refuse("request line too long");
		break;
	default:
		return;
	}
	control_write_all(fd, answer);
	free(answer);
}

static void *control_main(void *arg)
{
	struct pollfd fds[2] = {
		{ .fd = control.fd, .events = POLLIN },
		{ .fd = control.stop[0], .events = POLLIN },
	};
	int client;

	(void)arg;
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("event=control-error reason=\"poll: %s\"",
			    strerror(errno));
			break;
		}
		if (fds[1].revents != 0)
			break;
		client = accept4(control.fd, NULL, NULL, SOCK_CLOEXEC);
		if (client < 0)
			continue;
		control_serve(client);
		close(client);
	}
	return NULL;
}

int control_start(struct runtime *rt, char *err, size_t errlen)
{
	sigset_t saved;
	int rc;

	if (control.fd < 0)
		return 0;
	if (pipe2(control.stop, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "control pipe: %s", strerror(errno));
		return -1;
	}
	control.rt = rt;
	signals_hold(&saved);
	rc = pthread_create(&control.thread, NULL, control_main, NULL);
	signals_release(&saved);
	if (rc != 0) {
		snprintf(err, errlen, "control thread: %s", strerror(rc));
		return -1;
	}
	control.running = true;
	return 0;
}

void control_stop(void)
{
	if (control.running) {
		(void)!write(control.stop[1], "", 1);
		pthread_join(control.thread, NULL);
		control.running = false;
	}
	if (control.fd >= 0) {
		close(control.fd);
		control.fd = -1;
		privdrop_dir_remove(&control.dir, &control.created);
	}
	privdrop_dir_close(&control.dir);
}
