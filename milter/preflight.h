/*
 * preflight.h - everything that would stop the daemon from starting,
 * found at once, before anything is made.
 *
 * preflight_run() checks, for cfg with the milter socket spec (the
 * configured one or -p's): the user and group (privdrop_prepare()); the
 * directory of each unix socket and of the pid file (it exists, and the
 * daemon may make files there: privdrop_dir.h); each unix socket's path
 * (nothing there but a socket nobody listens on); each inet milter
 * socket and the metrics listener (the port can be bound now);
 * log_file (its directory; "stderr" only in the foreground); the
 * directory of state_file (it exists).  It
 * calls report(arg, "what: why") once per problem and returns how many
 * it found (0: all is well).
 *
 * With running set, a daemon already runs with this configuration (its
 * pid file names a live process: preflight_running()), so sockets and
 * ports in use are taken as its own and not reported.
 * preflight_running() returns the live process the pid file names, or 0.
 *
 * Nothing is created, opened for writing or left open; a port found free
 * may still be taken before the daemon binds it, and then the start
 * reports that one error.
 */
#ifndef BULWARK_PREFLIGHT_H
#define BULWARK_PREFLIGHT_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

typedef void (*preflight_report_fn)(void *arg, const char *problem);

unsigned preflight_run(const struct config *cfg, const char *socket,
    bool foreground, bool running, preflight_report_fn report, void *arg);
pid_t preflight_running(const struct config *cfg);

#endif
