/*
 * signals.c - see signals.h.
 *
 * Why not sigwait() in the main thread: while the main thread is busy
 * (reloading) it is not waiting, the signal is blocked there, and the
 * kernel hands the next SIGHUP to libmilter's waiting thread, which
 * stops the milter.  A handler in the main thread is not enough either:
 * while that thread has a signal pending (SIGUSR1, a SIGTERM being
 * handled) the kernel gives a new SIGHUP to another thread that waits
 * for it, and libmilter's thread does.  So that thread must never wait
 * for our signals: see sigwait() below.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"

static int signals_pipe[2] = { -1, -1 };

/* Async-signal-safe: one write; a full pipe drops the event. */
static void signals_handler(int sig)
{
	int saved = errno;
	unsigned char byte = (unsigned char)sig;

	(void)!write(signals_pipe[1], &byte, 1);
	errno = saved;
}

static void signals_nothing(int sig)
{
	(void)sig;
}

static int signals_install(int sig, void (*handler)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int signals_init(char *err, size_t errlen)
{
	static const int events[] = { SIGHUP, SIGTERM, SIGINT };

	if (pipe2(signals_pipe, O_CLOEXEC) < 0 ||
	    fcntl(signals_pipe[1], F_SETFL, O_NONBLOCK) < 0) {
		snprintf(err, errlen, "signal pipe: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (signals_install(events[i], signals_handler,
		    SA_NODEFER | SA_RESTART) < 0) {
			snprintf(err, errlen, "sigaction: %s", strerror(errno));
			return -1;
		}
	}
	/* No SA_RESTART: the point of SIGUSR1 is to interrupt. */
	if (signals_install(SIGUSR1, signals_nothing, 0) < 0 ||
	    signals_install(SIGPIPE, SIG_IGN, 0) < 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void signals_hold(sigset_t *saved)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, saved);
}

void signals_release(const sigset_t *saved)
{
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/*
 * poll() first: ThreadSanitizer runs a handler at once only while its
 * thread is in a call it knows may block, which poll() is and read() is
 * not, so a read() would wait for a byte whose handler never runs.
 */
int signals_wait(void)
{
	struct pollfd pfd = { .fd = signals_pipe[0], .events = POLLIN };
	unsigned char byte;
	ssize_t n;

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	while ((n = read(signals_pipe[0], &byte, 1)) < 0 && errno == EINTR)
		;
	/* The pipe cannot fail while we hold both ends: stop if it does. */
	return n == 1 ? byte : SIGTERM;
}

void signals_milter_done(void)
{
	signals_handler(0);
}

void signals_allow_wake(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void signals_wake(pthread_t thread)
{
	pthread_kill(thread, SIGUSR1);
}

/*
 * libmilter's signal thread is the only caller of sigwait() in this
 * program: it waits for SIGHUP, SIGTERM and SIGINT and stops the milter
 * on any of them.  The executable's definition takes the place of the C
 * library's for libmilter (the dynamic linker finds it first), and never
 * takes those three signals: the main thread, the only one that has them
 * unblocked, receives them all.  Any other signal in set is waited for.
 */
int sigwait(const sigset_t *set, int *sig)
{
	sigset_t rest = *set;
	int got;

	sigdelset(&rest, SIGHUP);
	sigdelset(&rest, SIGTERM);
	sigdelset(&rest, SIGINT);
	if (sigisemptyset(&rest)) {
		for (;;)
			pause();
	}
	while ((got = sigwaitinfo(&rest, NULL)) < 0)
		if (errno != EINTR)
			return errno;
	*sig = got;
	return 0;
}
