/*
 * signals.h - the signals the daemon acts on, as events for its main
 * thread.
 *
 * libmilter starts a thread of its own that waits for SIGHUP, SIGTERM
 * and SIGINT with sigwait() and stops the milter on any of them, SIGHUP
 * included.  To make SIGHUP a reload, whatever else is pending, the main
 * thread keeps those signals unblocked, with handlers, for its whole
 * life, every other thread has them blocked, and this module defines
 * sigwait() for libmilter: it never returns one of those three, so no
 * thread but the main one ever takes them (a thread blocked in sigwait()
 * would otherwise take a signal the kernel could not give the main thread
 * at that moment, such as one arriving while another is pending there).
 * The handlers only write the signal number to a pipe, are installed with
 * SA_NODEFER (a second SIGHUP arriving during the handler still finds
 * the main thread unblocked) and SA_RESTART, and the main thread reads
 * the pipe with signals_wait().
 *
 * signals_init() makes the pipe and installs the handlers for SIGHUP,
 * SIGTERM and SIGINT, a handler that does nothing for SIGUSR1 (used to
 * interrupt libmilter's listener) and ignores SIGPIPE.  Returns 0, or -1
 * with the reason in err.
 * signals_hold() blocks SIGHUP, SIGTERM, SIGINT and SIGUSR1 in the
 * calling thread, saving the old mask, so that threads created meanwhile
 * inherit it; signals_release() restores the saved mask.
 * signals_wait() returns the next event: SIGHUP, SIGTERM, SIGINT, or 0
 * once signals_milter_done() was called (libmilter's loop returned).
 * signals_milter_done() is safe from any thread.
 * signals_allow_wake() unblocks SIGUSR1 in the calling thread;
 * signals_wake(thread) sends it SIGUSR1, interrupting a blocking call.
 */
#ifndef BULWARK_SIGNALS_H
#define BULWARK_SIGNALS_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

int signals_init(char *err, size_t errlen);
void signals_hold(sigset_t *saved);
void signals_release(const sigset_t *saved);
int signals_wait(void);
void signals_milter_done(void);
void signals_allow_wake(void);
void signals_wake(pthread_t thread);

#endif
