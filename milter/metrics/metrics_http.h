/*
 * metrics_http.h - the metrics served over HTTP for Prometheus, with
 * libmicrohttpd: GET /metrics answers metrics_render().
 *
 * Two steps, because the socket is best opened while errors still reach
 * the terminal and privileges still allow any port, and the server's
 * thread must run in the process that serves (threads do not survive the
 * fork of daemon_detach()):
 *
 * metrics_http_open() binds and listens on listen ("ADDRESS:PORT" or
 * "[ADDRESS]:PORT"; "" leaves the server off and does nothing).  Call it
 * before the process detaches or drops privileges.  Returns 0, or -1 with
 * "listen: reason" in err (for instance "Address already in use").
 *
 * metrics_http_start() starts the server's thread on that socket, every
 * signal blocked in it so that libmilter still receives SIGTERM and
 * SIGHUP.  store is shown by each scrape and must outlive
 * metrics_http_stop().  Returns 0 (also when the server is off), or -1
 * with the reason in err.
 *
 * metrics_http_stop() stops the server and closes its socket; it may be
 * called whether or not anything was opened or started.
 *
 * Answers: GET or HEAD /metrics: 200, "text/plain; version=0.0.4";
 * another method on /metrics: 405 with "Allow: GET, HEAD"; any other
 * path: 404.
 */
#ifndef BULWARK_METRICS_HTTP_H
#define BULWARK_METRICS_HTTP_H

#include <stddef.h>

#include "store.h"

int metrics_http_open(const char *listen, char *err, size_t errlen);
int metrics_http_start(struct store *store, char *err, size_t errlen);
void metrics_http_stop(void);

#endif
