/*
 * control.c - see control.h.
 *
 * One thread polls the listening socket, the read end of a pipe and
 * every client, all non-blocking: it reads what each client has sent,
 * runs a request as soon as its line is complete, and writes answers as
 * far as each client takes them, so an idle or slow client holds only
 * its own slot until its deadline.  Requests run one at a time, in this
 * thread.  control_stop() writes to the pipe, so the thread is never
 * cancelled in the middle of a command.
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
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "log.h"
#include "privdrop_dir.h"
#include "ratelimit.h"
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
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
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

/* One connection: reading its request line, then writing the answer. */
struct control_client {
	int fd;				/* -1: a free slot */
	uid_t peer;
	int64_t deadline;		/* monotonic ms */
	size_t len;			/* of line, read so far */
	char line[CONTROL_LINE_MAX + 2];
	char *answer;			/* NULL while reading */
	size_t sent;
};

static struct control_client control_clients[CONTROL_CLIENTS];
/* Why a client was dropped; each reason is rate-limited on its own. */
enum control_drop {
	CONTROL_DROP_BUSY,
	CONTROL_DROP_LINE_TOO_LONG,
	CONTROL_DROP_READ_TIMEOUT,
	CONTROL_DROP_WRITE_TIMEOUT,
	CONTROL_DROP_REASONS
};

static const char *const control_drop_names[CONTROL_DROP_REASONS] = {
	"busy", "line-too-long", "read-timeout", "write-timeout"
};
static struct ratelimit control_drops[CONTROL_DROP_REASONS];

static int64_t control_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client dropped without an answer: at most one line a second a reason. */
static void control_log_drop(enum control_drop reason)
{
	uint64_t unlogged;

	if (ratelimit_pass(&control_drops[reason], time(NULL), &unlogged))
		log_warning("event=control-drop reason=%s unlogged=%llu",
		    control_drop_names[reason], (unsigned long long)unlogged);
}

static void control_close(struct control_client *c)
{
	close(c->fd);
	free(c->answer);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static uid_t control_peer(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return (uid_t)-1;
	return cred.uid;
}

/* A free slot; when none, the reading client nearest its deadline. */
static struct control_client *control_slot(void)
{
	struct control_client *oldest = NULL;

	for (size_t i = 0; i < CONTROL_CLIENTS; i++) {
		struct control_client *c = &control_clients[i];

		if (c->fd < 0)
			return c;
		if (c->answer == NULL && (oldest == NULL ||
		    c->deadline < oldest->deadline))
			oldest = c;
	}
	if (oldest != NULL) {
		control_log_drop(CONTROL_DROP_BUSY);
		control_close(oldest);
	}
	return oldest;
}

static void control_accept(int64_t now)
{
	struct control_client *c;
	int fd;

	while ((fd = accept4(control.fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((c = control_slot()) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->peer = control_peer(fd);
		c->deadline = now + CONTROL_TIMEOUT_S * 1000;
	}
}

/* The request is complete: run it, and start writing its answer. */
static void control_answer(struct control_client *c, int64_t now,
    bool too_long)
{
	if (too_long) {
		control_log_drop(CONTROL_DROP_LINE_TOO_LONG);
		c->answer = commands_refuse("request line too long");
	} else {
		c->line[strcspn(c->line, "\n")] = '\0';
		c->answer = commands_run(control.rt, c->line, c->peer);
	}
	c->sent = 0;
	c->deadline = now + CONTROL_TIMEOUT_S * 1000;
}

/*
 * Read what is there.  The line ends at '\n' or at the end of the
 * client's output; CONTROL_LINE_MAX bytes without '\n' are too many.
 */
static void control_read(struct control_client *c, int64_t now)
{
	size_t room = sizeof(c->line) - 1 - c->len;
	ssize_t n = read(c->fd, c->line + c->len, room);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && c->len == 0)) {
		control_close(c);
		return;
	}
	c->len += (size_t)n;
	if (n == 0 || memchr(c->line + c->len - (size_t)n, '\n',
	    (size_t)n) != NULL)
		control_answer(c, now, false);
	else if (c->len == sizeof(c->line) - 1)
		control_answer(c, now, true);
}

static void control_write(struct control_client *c)
{
	size_t left = strlen(c->answer + c->sent);
	ssize_t n = write(c->fd, c->answer + c->sent, left);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (size_t)n == left) {
		control_close(c);
		return;
	}
	c->sent += (size_t)n;
}

/*
 * The pollfd of each client into fds (after the first two), its slot in
 * which; returns how many, and in *timeout the ms to the next deadline.
 */
static nfds_t control_poll_set(struct pollfd *fds, size_t *which,
    int64_t now, int *timeout)
{
	nfds_t n = 2;

	*timeout = -1;
	for (size_t i = 0; i < CONTROL_CLIENTS; i++) {
		struct control_client *c = &control_clients[i];
		int64_t left;

		if (c->fd < 0)
			continue;
		if (c->deadline <= now) {
			control_log_drop(c->answer == NULL ?
			    CONTROL_DROP_READ_TIMEOUT : CONTROL_DROP_WRITE_TIMEOUT);
			control_close(c);
			continue;
		}
		left = c->deadline - now;
		if (*timeout < 0 || left < *timeout)
			*timeout = (int)left;
		fds[n] = (struct pollfd){ .fd = c->fd,
		    .events = c->answer == NULL ? POLLIN : POLLOUT };
		which[n++] = i;
	}
	return n;
}

static void control_serve(const struct pollfd *fds, const size_t *which,
    nfds_t n, int64_t now)
{
	for (nfds_t k = 2; k < n; k++) {
		struct control_client *c = &control_clients[which[k]];

		if (fds[k].revents == 0 || c->fd != fds[k].fd)
			continue;
		if (c->answer == NULL)
			control_read(c, now);
		else
			control_write(c);
	}
}

static void *control_main(void *arg)
{
	struct pollfd fds[CONTROL_CLIENTS + 2] = {
		{ .fd = control.fd, .events = POLLIN },
		{ .fd = control.stop[0], .events = POLLIN },
	};
	size_t which[CONTROL_CLIENTS + 2];
	int timeout;
	nfds_t n;

	(void)arg;
	for (size_t i = 0; i < CONTROL_CLIENTS; i++)
		control_clients[i].fd = -1;
	for (;;) {
		n = control_poll_set(fds, which, control_now_ms(), &timeout);
		if (poll(fds, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("event=control-error reason=\"poll: %s\"",
			    strerror(errno));
			break;
		}
		if (fds[1].revents != 0)
			break;
		control_serve(fds, which, n, control_now_ms());
		if (fds[0].revents != 0)
			control_accept(control_now_ms());
	}
	for (size_t i = 0; i < CONTROL_CLIENTS; i++)
		if (control_clients[i].fd >= 0)
			control_close(&control_clients[i]);
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
