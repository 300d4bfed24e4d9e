/*
 * ctl_client.c - finding the daemon's control socket and talking to it.
 * See ctl.h.
 *
 * The configuration file is read with libconfig for its control key
 * alone, not loaded as the daemon loads it: an operator must reach the
 * daemon even while the file has an error.  When libconfig cannot parse
 * it, a line scan looks for the control line; failing that, the default
 * socket is tried.  Every fallback is said on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libconfig.h>

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

static void ctl_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bulwarkctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/*
 * The value of the first line of file that reads control = "..." (or
 * control: "..."), into value; 0, or -1 when there is none.
 */
static int ctl_scan(const char *file, char *value, size_t len)
{
	FILE *f = fopen(file, "re");
	char line[1024];
	const char *p, *end;
	int rc = -1;

	if (f == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), f) != NULL) {
		p = line + strspn(line, " \t");
		if (strncmp(p, "control", 7) != 0)
			continue;
		p += 7;
		p += strspn(p, " \t");
		if (*p != '=' && *p != ':')
			continue;
		p += 1 + strspn(p + 1, " \t");
		if (*p != '"' || (end = strchr(p + 1, '"')) == NULL ||
		    (size_t)(end - p - 1) >= len)
			continue;
		memcpy(value, p + 1, (size_t)(end - p - 1));
		value[end - p - 1] = '\0';
		rc = 0;
	}
	fclose(f);
	return rc;
}

static int ctl_use(const char *spec, const char *why, char *path,
    size_t len, char *source, size_t sourcelen, char *err, size_t errlen)
{
	if (spec[0] == '\0') {
		snprintf(err, errlen, "%s: the control socket is turned off "
		    "(control = \"\")", why);
		return CTL_UNREACHABLE;
	}
	snprintf(source, sourcelen, "%s", why);
	return ctl_set_path(spec, path, len, err, errlen);
}

static int ctl_default(char *path, size_t len, char *source,
    size_t sourcelen, char *err, size_t errlen)
{
	snprintf(source, sourcelen, "the default");
	return ctl_set_path(CTL_DEFAULT_SOCKET, path, len, err, errlen);
}

/*
 * Only the control key matters here: a file that the daemon would
 * refuse (a bad value, a syntax error) still names the socket.
 */
static int ctl_from_config(const char *file, bool given, char *path,
    size_t len, char *source, size_t sourcelen, char *err, size_t errlen)
{
	char value[CTL_PATH_MAX + 8], why[1200];
	const config_setting_t *s;
	config_t lc;
	int rc;

	config_init(&lc);
	snprintf(why, sizeof(why), "control in %s", file);
	if (config_read_file(&lc, file) == CONFIG_TRUE) {
		if ((s = config_lookup(&lc, "control")) == NULL) {
			rc = ctl_default(path, len, source, sourcelen, err,
			    errlen);
			snprintf(source, sourcelen, "the default (%s has no "
			    "control key)", file);
		}
		else if (config_setting_type(s) == CONFIG_TYPE_STRING)
			rc = ctl_use(config_setting_get_string(s), why, path,
			    len, source, sourcelen, err, errlen);
		else {
			ctl_warn("%s:%d: control is not a string; trying the "
			    "default control socket %s", file,
			    config_setting_source_line(s), CTL_DEFAULT_SOCKET);
			rc = ctl_default(path, len, source, sourcelen, err,
			    errlen);
		}
	} else if (config_error_type(&lc) == CONFIG_ERR_FILE_IO) {
		if (given) {
			snprintf(err, errlen, "%s: %s", file, strerror(errno));
			rc = CTL_USAGE;
		} else {
			ctl_warn("%s: %s; trying the default control socket %s",
			    file, strerror(errno), CTL_DEFAULT_SOCKET);
			rc = ctl_default(path, len, source, sourcelen, err,
			    errlen);
		}
	} else if (ctl_scan(file, value, sizeof(value)) == 0) {
		ctl_warn("%s:%d: %s; using control = \"%s\" found by a line "
		    "scan", config_error_file(&lc) != NULL ?
		    config_error_file(&lc) : file, config_error_line(&lc),
		    config_error_text(&lc), value);
		snprintf(why, sizeof(why), "control in %s, found by a line "
		    "scan", file);
		rc = ctl_use(value, why, path, len, source, sourcelen, err,
		    errlen);
	} else {
		ctl_warn("%s:%d: %s; no control line found: trying the default "
		    "control socket %s", config_error_file(&lc) != NULL ?
		    config_error_file(&lc) : file, config_error_line(&lc),
		    config_error_text(&lc), CTL_DEFAULT_SOCKET);
		rc = ctl_default(path, len, source, sourcelen, err, errlen);
	}
	config_destroy(&lc);
	return rc;
}

int ctl_find_socket(const char *config, const char *socket, char *path,
    size_t len, char *source, size_t sourcelen, char *err, size_t errlen)
{
	if (socket != NULL) {
		snprintf(source, sourcelen, "given with -s");
		return ctl_set_path(socket, path, len, err, errlen);
	}
	if (config != NULL)
		return ctl_from_config(config, true, path, len, source,
		    sourcelen, err, errlen);
	if (access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		return ctl_from_config(CONFIG_DEFAULT_PATH, false, path, len,
		    source, sourcelen, err, errlen);
	return ctl_default(path, len, source, sourcelen, err, errlen);
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
