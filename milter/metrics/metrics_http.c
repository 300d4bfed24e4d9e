/*
 * metrics_http.c - see metrics_http.h.
 *
 * One libmicrohttpd thread polls the listening socket and every client,
 * all non-blocking: a scrape is small and rare, so no thread per
 * connection, and an idle or trickling client holds only its own
 * connection, never the thread.  Connections are many (idle clients that
 * reconnect must not use them all up) and each is closed after
 * METRICS_HTTP_TIMEOUT seconds without a byte.  The body of /metrics is
 * rendered afresh for each request.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "escape.h"
#include "listen_addr.h"
#include "log.h"
#include "metrics_http.h"
#include "metrics_text.h"
#include "ratelimit.h"

#define METRICS_HTTP_PATH	"/metrics"
#define METRICS_HTTP_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_HTTP_BACKLOG	64
#define METRICS_HTTP_CLIENTS	256u	/* connections at once */
#define METRICS_HTTP_TIMEOUT	5u	/* seconds a client may idle */

static struct {
	int fd;				/* -1 until opened */
	struct MHD_Daemon *daemon;	/* NULL until started */
	struct store *store;
} metrics_http = { -1, NULL, NULL };

static const char metrics_http_not_found[] = "Not found; try /metrics\n";
static const char metrics_http_not_allowed[] = "Only GET and HEAD\n";

/*
 * libmicrohttpd's own complaints (a malformed request, a client gone),
 * one escaped log line each, at most one a second: any client can send
 * them in floods.
 */
static void metrics_http_log(void *cls, const char *fmt, va_list ap)
{
	static struct ratelimit limit;
	char text[256], escaped[ESCAPE_OUT_MAX];
	uint64_t unlogged;
	size_t len;

	(void)cls;
	if (!ratelimit_pass(&limit, time(NULL), &unlogged))
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	len = strlen(text);
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	log_warning("event=metrics-http-error unlogged=%llu reason=\"%s\"",
	    (unsigned long long)unlogged,
	    escape(text, ESCAPE_CLIENT, escaped, sizeof(escaped)));
}

/* Queue body (freed by libmicrohttpd when mode says so) with status. */
static enum MHD_Result metrics_http_reply(struct MHD_Connection *conn,
    unsigned status, const char *type, const char *body,
    enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *response;
	enum MHD_Result rc;

	response = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    mode);
	if (response == NULL)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	rc = MHD_queue_response(conn, status, response);
	MHD_destroy_response(response);
	return rc;
}

static enum MHD_Result metrics_http_answer(void *cls,
    struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size,
    void **request)
{
	(void)cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)request;
	if (strcmp(url, METRICS_HTTP_PATH) != 0)
		return metrics_http_reply(conn, MHD_HTTP_NOT_FOUND,
		    "text/plain", metrics_http_not_found,
		    MHD_RESPMEM_PERSISTENT);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return metrics_http_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "text/plain", metrics_http_not_allowed,
		    MHD_RESPMEM_PERSISTENT);
	return metrics_http_reply(conn, MHD_HTTP_OK, METRICS_HTTP_TYPE,
	    metrics_render(metrics_http.store, time(NULL)),
	    MHD_RESPMEM_MUST_FREE);
}

/* A listening TCP socket on addr, or -1 with errno set. */
static int metrics_http_listen(const struct listen_addr *addr)
{
	int one = 1, saved;
	int fd = socket(addr->ss.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* Restart at once after a stop; [::] means IPv6 only. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    (addr->ss.ss_family != AF_INET6 || setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == 0) &&
	    bind(fd, (const struct sockaddr *)&addr->ss, addr->len) == 0 &&
	    listen(fd, METRICS_HTTP_BACKLOG) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int metrics_http_open(const char *listen, char *err, size_t errlen)
{
	struct listen_addr addr;
	const char *why;

	if (listen[0] == '\0')
		return 0;
	if (listen_addr_parse(listen, &addr, &why) < 0) {
		snprintf(err, errlen, "%s: %s", listen, why);
		return -1;
	}
	if ((metrics_http.fd = metrics_http_listen(&addr)) < 0) {
		snprintf(err, errlen, "%s: %s", listen, strerror(errno));
		return -1;
	}
	return 0;
}

int metrics_http_start(struct store *store, char *err, size_t errlen)
{
	sigset_t all, saved;

	if (metrics_http.fd < 0)
		return 0;
	metrics_http.store = store;
	/* The thread inherits this mask: signals stay with libmilter. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	metrics_http.daemon = MHD_start_daemon(
	    MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    metrics_http_answer, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_http_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, metrics_http.fd,
	    MHD_OPTION_CONNECTION_LIMIT, METRICS_HTTP_CLIENTS,
	    MHD_OPTION_CONNECTION_TIMEOUT, METRICS_HTTP_TIMEOUT,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (metrics_http.daemon == NULL) {
		snprintf(err, errlen, "libmicrohttpd could not start");
		return -1;
	}
	return 0;
}

void metrics_http_stop(void)
{
	if (metrics_http.daemon != NULL) {
		/* libmicrohttpd closes the listening socket it was given. */
		MHD_stop_daemon(metrics_http.daemon);
		metrics_http.daemon = NULL;
	} else if (metrics_http.fd >= 0) {
		close(metrics_http.fd);
	}
	metrics_http.fd = -1;
	metrics_http.store = NULL;
}
