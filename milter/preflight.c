/*
 * preflight.c - see preflight.h.
 *
 * Each check asks the question the start will ask, with the same
 * helpers (privdrop_prepare(), privdrop_dir_open(), socket_unix_free(),
 * listen_addr_parse()), but only looks: ports are bound and closed at
 * once, directories opened as paths and closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listen_addr.h"
#include "preflight.h"
#include "privdrop.h"
#include "privdrop_dir.h"
#include "socket.h"

struct preflight {
	preflight_report_fn report;
	void *arg;
	bool running;			/* in-use sockets and ports are its own */
	unsigned problems;
	struct privdrop priv;
};

static void preflight_problem(struct preflight *pf, const char *what,
    const char *why)
{
	char line[PATH_MAX * 2 + 512];

	snprintf(line, sizeof(line), "%s%s", what, why);
	pf->report(pf->arg, line);
	pf->problems++;
}

/* The daemon may make files in the directory of path. */
static void preflight_dir(struct preflight *pf, const char *what,
    const char *path)
{
	struct privdrop_dir d;
	char why[PATH_MAX + 256], dir[PATH_MAX];
	struct stat st;

	if (privdrop_dir_open(&d, &pf->priv, path, why, sizeof(why)) < 0) {
		preflight_problem(pf, what, why);
		privdrop_dir_close(&d);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", d.path);
	*strrchr(dir, '/') = '\0';
	if (d.maker == PRIVDROP_MAKER_SELF && geteuid() != 0 &&
	    access(dir[0] != '\0' ? dir : "/", W_OK | X_OK) < 0) {
		snprintf(why, sizeof(why), "directory %s: %s", dir,
		    strerror(errno));
		preflight_problem(pf, what, why);
	} else if (d.maker == PRIVDROP_MAKER_USER &&
	    (fstat(d.fd, &st) < 0 || (st.st_mode & S_IWUSR) == 0)) {
		snprintf(why, sizeof(why), "directory %s: not writable by its "
		    "owner %s", dir, pf->priv.user);
		preflight_problem(pf, what, why);
	}
	privdrop_dir_close(&d);
}

static void preflight_unix(struct preflight *pf, const char *what,
    const char *path)
{
	char why[1024];

	preflight_dir(pf, what, path);
	if (socket_unix_free(path, why, sizeof(why)) < 0 &&
	    !(pf->running && strstr(why, "in use") != NULL) &&
	    strncmp(why, "directory ", 10) != 0)
		preflight_problem(pf, what, why);
}

/* Bind and close at once: is the address free for a listener? */
static int preflight_bind(const struct sockaddr *sa, socklen_t len,
    char *why, size_t whylen)
{
	int one = 1, rc = 0;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, len) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		rc = errno == EADDRINUSE ? -2 : -1;
	}
	close(fd);
	return rc;
}

static void preflight_port(struct preflight *pf, const char *what,
    const struct sockaddr *sa, socklen_t len)
{
	char why[256];
	int rc = preflight_bind(sa, len, why, sizeof(why));

	if (rc == -1 || (rc == -2 && !pf->running))
		preflight_problem(pf, what, why);
}

/* "inet:PORT@HOST" or "inet6:PORT@HOST"; HOST may be a name or absent. */
static void preflight_inet(struct preflight *pf, const char *what,
    const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	char port[16], host[256], why[512];
	const char *rest = strchr(spec, ':') + 1, *at = strchr(rest, '@');
	int rc;

	hints.ai_family = strncmp(spec, "inet6:", 6) == 0 ? AF_INET6 : AF_INET;
	snprintf(port, sizeof(port), "%.*s", at != NULL ? (int)(at - rest) :
	    (int)strlen(rest), rest);
	snprintf(host, sizeof(host), "%s", at != NULL ? at + 1 : "");
	rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &res);
	if (rc != 0) {
		snprintf(why, sizeof(why), "%s: %s", host, gai_strerror(rc));
		preflight_problem(pf, what, why);
		return;
	}
	preflight_port(pf, what, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
}

static void preflight_socket(struct preflight *pf, const char *key,
    const char *spec)
{
	char what[1100];

	snprintf(what, sizeof(what), "%s %s: ", key, spec);
	if (strncmp(spec, "unix:", 5) == 0)
		preflight_unix(pf, what, spec + 5);
	else if (strncmp(spec, "local:", 6) == 0)
		preflight_unix(pf, what, spec + 6);
	else
		preflight_inet(pf, what, spec);
}

static void preflight_metrics(struct preflight *pf, const char *listen)
{
	struct listen_addr addr;
	const char *why;
	char what[300];

	if (listen[0] == '\0')
		return;
	snprintf(what, sizeof(what), "metrics_listen %s: ", listen);
	if (listen_addr_parse(listen, &addr, &why) < 0)
		preflight_problem(pf, what, why);
	else
		preflight_port(pf, what, (struct sockaddr *)&addr.ss, addr.len);
}

static void preflight_log_file(struct preflight *pf, const char *log_file,
    bool foreground)
{
	char why[1024];

	if (log_file[0] == '\0')
		return;
	if (strcmp(log_file, "stderr") == 0) {
		if (!foreground)
			preflight_problem(pf, "log_file stderr: ", "a "
			    "daemon in the background has no stderr: run it "
			    "with -f, or name a file");
		return;
	}
	snprintf(why, sizeof(why), "log_file %s: ", log_file);
	preflight_dir(pf, why, log_file);
}

/* The state file's directory must exist (the user writes it at stop). */
static void preflight_state_dir(struct preflight *pf, const struct config *cfg)
{
	char dir[PATH_MAX], why[PATH_MAX + 64];
	struct stat st;

	if (cfg->state_file[0] == '\0' || strcmp(cfg->store, "memory") != 0)
		return;
	snprintf(dir, sizeof(dir), "%s", cfg->state_file);
	*strrchr(dir, '/') = '\0';
	errno = 0;
	if (stat(dir[0] != '\0' ? dir : "/", &st) == 0 && S_ISDIR(st.st_mode))
		return;
	snprintf(why, sizeof(why), "directory %s: %s", dir,
	    errno != 0 ? strerror(errno) : "not a directory");
	preflight_problem(pf, "state_file: ", why);
}

unsigned preflight_run(const struct config *cfg, const char *socket,
    bool foreground, bool running, preflight_report_fn report, void *arg)
{
	struct preflight pf = { .report = report, .arg = arg,
	    .running = running };
	char why[512];

	if (privdrop_prepare(&pf.priv, cfg->user, cfg->group, why,
	    sizeof(why)) < 0) {
		preflight_problem(&pf, "", why);
		memset(&pf.priv, 0, sizeof(pf.priv));
	}
	preflight_socket(&pf, "socket", socket);
	if (cfg->control[0] != '\0')
		preflight_socket(&pf, "control", cfg->control);
	if (cfg->pidfile[0] != '\0') {
		snprintf(why, sizeof(why), "pid file %s: ", cfg->pidfile);
		preflight_dir(&pf, why, cfg->pidfile);
	}
	preflight_metrics(&pf, cfg->metrics_listen);
	preflight_log_file(&pf, cfg->log_file, foreground);
	preflight_state_dir(&pf, cfg);
	return pf.problems;
}

pid_t preflight_running(const struct config *cfg)
{
	char text[32];
	FILE *fp;
	long pid = 0;

	if (cfg->pidfile[0] == '\0' || (fp = fopen(cfg->pidfile, "re")) == NULL)
		return 0;
	if (fgets(text, sizeof(text), fp) != NULL)
		pid = strtol(text, NULL, 10);
	fclose(fp);
	if (pid <= 0 || pid == (long)getpid() ||
	    (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	return (pid_t)pid;
}
