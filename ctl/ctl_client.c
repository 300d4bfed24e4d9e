/*
 * ctl_client.c - finding the daemon's control socket and talking to it.
 * See ctl.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "xalloc.h"

#define CTL_DEFAULT_SOCKET	"/run/bulwark/control.sock"
#define CTL_TIMEOUT_S		60
#define CTL_ANSWER_MAX		(256u * 1024 * 1024)

static int ctl_set_path(const char *spec, char *path, size_t len, char *err,
    size_t errlen)
{
	const char *p = strncmp(spec, "unix:", 5) == 0 ? spec + 5 : spec;

	if (p[0] != '/') {
		snprintf(err, errlen, "%s: expected an absolute path or "
		    "unix:/path", spec);
		return CTL_USAGE;
	}
	if (strlen(p) >= len || strlen(p) >= CTL_PATH_MAX) {
		snprintf(err, errlen, "%s: the path is too long", spec);
		return CTL_USAGE;
	}
	snprintf(path, len, "%s", p);
	return CTL_OK;
}

static int ctl_from_config(const char *config, char *path, size_t len,
    char *err, size_t errlen)
{
	char why[CONFIG_ERROR_MAX];
	struct config *cfg = config_load(config, why, sizeof(why));
	int rc;

	if (cfg == NULL) {
		snprintf(err, errlen, "%s", why);
		return CTL_USAGE;
	}
	if (cfg->control[0] == '\0') {
		snprintf(err, errlen, "%s: the control socket is turned off "
		    "(control = \"\")", config);
		rc = CTL_UNREACHABLE;
	} else {
		rc = ctl_set_path(cfg->control, path, len, err, errlen);
	}
	config_unref(cfg);
	return rc;
}

int ctl_find_socket(const char *config, const char *socket, char *path,
    size_t len, char *err, size_t errlen)
{
	if (socket != NULL)
		return ctl_set_path(socket, path, len, err, errlen);
	if (config != NULL)
		return ctl_from_config(config, path, len, err, errlen);
	if (access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		return ctl_from_config(CONFIG_DEFAULT_PATH, path, len, err,
		    errlen);
	return ctl_set_path(CTL_DEFAULT_SOCKET, path, len, err, errlen);
}

static int ctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { CTL_TIMEOUT_S, 0 };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s%s", path,
		    strerror(errno), errno == ENOENT || errno == ECONNREFUSED ?
		    " (is bulwark running?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int ctl_send(int fd, const char *line)
{
	size_t left = strlen(line);
	ssize_t n;

	while (left > 0) {
		if ((n = write(fd, line, left)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		line += n;
		left -= (size_t)n;
	}
	return shutdown(fd, SHUT_WR);
}

/* Everything the daemon writes until it closes; NULL on error. */
static char *ctl_receive(int fd, char *err, size_t errlen)
{
	size_t len = 0, size = 4096;
	char *buf = xmalloc(size);
	ssize_t n;

	while ((n = read(fd, buf + len, size - len - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || len + (size_t)n >= CTL_ANSWER_MAX) {
			snprintf(err, errlen, "reading the answer: %s", n < 0 ?
			    strerror(errno) : "too long");
			free(buf);
			return NULL;
		}
		len += (size_t)n;
		if (size - len == 1)
			buf = xrealloc(buf, size *= 2, 1);
	}
	buf[len] = '\0';
	return buf;
}

int ctl_request(const char *path, const char *line, char **answer,
    char *err, size_t errlen)
{
	int fd = ctl_connect(path, err, errlen);

	if (fd < 0)
		return CTL_UNREACHABLE;
	if (ctl_send(fd, line) < 0) {
		snprintf(err, errlen, "sending to %s: %s", path,
		    strerror(errno));
		close(fd);
		return CTL_UNREACHABLE;
	}
	*answer = ctl_receive(fd, err, errlen);
	close(fd);
	if (*answer == NULL)
		return CTL_UNREACHABLE;
	if ((*answer)[0] == '\0') {
		snprintf(err, errlen, "%s: the daemon closed the connection "
		    "without an answer", path);
		free(*answer);
		return CTL_UNREACHABLE;
	}
	return CTL_OK;
}
