/*
 * ctl.h - the parts of bulwarkctl(8).
 *
 * Exit statuses: CTL_OK, CTL_FAILED (the daemon refused or failed the
 * command, or answered with something that is not an answer), CTL_USAGE
 * (bad options or arguments, or a configuration file given with -c that
 * cannot be read), CTL_UNREACHABLE (no daemon listens on the control
 * socket, or the connection failed), CTL_RESTART (done, but keys that
 * changed take effect only at the next start of the daemon).
 *
 * ctl_client.c
 * ctl_find_socket() puts the control socket's path in path, and where it
 * came from in source ("given with -s", "the default", ...): from socket
 * ("unix:/path" or "/path") when given, else from the control key of the
 * configuration file config, else of the default configuration file when
 * it exists, else the default socket.  Only the control key is read, and
 * a file that does not parse is scanned line by line for it (a warning
 * on stderr says so); a file without it gives the default socket.
 * Returns CTL_OK, or an exit status with the reason in err.
 * ctl_request() sends the request line and reads the answer into
 * *answer (malloc'd, NUL-terminated).  Returns CTL_OK, or an exit status
 * with the reason in err.
 *
 * ctl_table.c
 * ctl_clean() returns text fit for a terminal, malloc'd: text escaped
 * with escape(ESCAPE_TERMINAL), control characters written \xNN.
 * A ctl_table collects rows of cells (copied, cleaned) and prints them
 * with aligned columns, the header first.
 *
 * ctl_render.c
 * ctl_render() prints the answer to command for a human.
 * ctl_exit_status() is the exit status an answer gives: CTL_FAILED when
 * it is not ok, CTL_RESTART when it names keys that need a restart,
 * else CTL_OK.
 *
 * ctl_top.c
 * ctl_top() runs "top" on the socket found as ctl_find_socket() does:
 * one frame with once, else a frame every interval seconds (1 to
 * CTL_TOP_INTERVAL_MAX); json: the daemon's answers, one a line.
 * Returns an exit status (only with --once: the view runs until
 * interrupted).
 */
#ifndef BULWARK_CTL_H
#define BULWARK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum {
	CTL_OK = 0,
	CTL_FAILED = 1,
	CTL_USAGE = 2,
	CTL_UNREACHABLE = 3,
	CTL_RESTART = 4
};

#define CTL_PATH_MAX 108	/* sun_path */

int ctl_find_socket(const char *config, const char *socket, char *path,
    size_t len, char *source, size_t sourcelen, char *err, size_t errlen);
int ctl_request(const char *path, const char *line, char **answer,
    char *err, size_t errlen);

char *ctl_clean(const char *text);

struct ctl_table {
	size_t columns;
	size_t rows;			/* the header included */
	size_t size;
	char **cells;			/* rows * columns */
};

void ctl_table_init(struct ctl_table *t, size_t columns,
    const char *const *header);
void ctl_table_add(struct ctl_table *t, const char *const *row);
void ctl_table_print(const struct ctl_table *t, FILE *out);
void ctl_table_free(struct ctl_table *t);

void ctl_render(const char *command, const json_t *answer);
int ctl_exit_status(const json_t *answer);

#define CTL_TOP_INTERVAL_MAX 3600

int ctl_top(const char *config, const char *socket, bool json, bool once,
    unsigned interval);

#endif
