/*
 * main.c - the bulwark daemon: options, start, serve, reload, stop.
 *
 *   bulwark [-c file] [-f] [-t] [-p socket] [-V]
 *
 * Start, in this order: read the configuration; check everything the
 * start needs and report every problem at once (preflight.h; -t reports
 * them too, as warnings); look the user and group up; check the
 * firewall's nftables table and sets (when enabled: a configuration
 * error otherwise, as in -t); open the log file (log_file); open the
 * store; open the milter socket, the control socket and the metrics
 * listener, and the pid file (the unix sockets and the pid file made so
 * that they are the user's, see privdrop_dir.h; pidfile "" is none);
 * detach (unless -f); write the pid file; drop to the user and group;
 * start the threads (control server, metrics server, firewall worker,
 * libmilter's loop);
 * tell the waiting parent that all went well.  Until then every error
 * reaches the terminal and the exit status says it.  In the foreground
 * the daemon says on stderr where its log goes.
 *
 * Serve: libmilter's loop runs in a thread of its own; the main thread
 * waits for signals (see signals.h for how they are kept from
 * libmilter's own signal thread).  SIGHUP reloads the configuration (runtime.h); SIGTERM and
 * SIGINT stop.
 *
 * Stop: libmilter is told to stop and its listener woken (SIGUSR1 to its
 * thread, else it looks at the stop flag only every 5 s: see
 * milter_stopper()), so no new connection is accepted; the callbacks in
 * progress are waited for (callbacks_drain()); the control and metrics
 * servers end; the sockets and the pid file are removed; with the
 * memory store and state_file, its blocks and notes are written there
 * (read back at the next start, after the switch of user); the stop is
 * logged.  A start that fails removes what it had made.
 *
 * Exit status: 0 after a stop asked for by SIGTERM or SIGINT; EX_USAGE
 * (64) for bad usage; EX_CONFIG (78) for a bad configuration; 1 when the
 * daemon could not start or serve, or libmilter's loop ended without
 * being asked (so that a service manager restarts it).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define SYSLOG_NAMES
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "escape.h"
#include "firewall.h"
#include "log.h"
#include "logfile.h"
#include "metrics.h"
#include "metrics_http.h"
#include "policy.h"
#include "preflight.h"
#include "privdrop.h"
#include "runtime.h"
#include "signals.h"
#include "socket.h"
#include "state.h"
#include "store.h"
#include "xalloc.h"

#define MAIN_DRAIN_MS		10000	/* callbacks in progress at stop */
#define MAIN_WAKE_NS		50000000L

struct options {
	const char *config_path;
	const char *socket;		/* -p, or NULL for the configured one */
	bool foreground;
	bool check_only;
	bool version;
};

/* Everything the daemon holds between start and stop. */
struct daemon {
	const struct options *opt;
	struct config *cfg;		/* as read at start */
	char *config_path;		/* absolute, for reloads after chdir */
	const char *socket;		/* the milter socket in use */
	struct store *store;
	struct policy *policy;
	struct privdrop priv;
	struct runtime rt;
	pthread_t milter;
	int milter_rc;
	int log_fd;			/* log_file's, or -1 */
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: bulwark [-c file] [-f] [-t] [-p socket] [-V]\n");
	exit(EX_USAGE);
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	char err[256];
	int c;

	*opt = (struct options){ .config_path = CONFIG_DEFAULT_PATH };
	while ((c = getopt(argc, argv, "c:fp:tV")) != -1) {
		switch (c) {
		case 'c':
			opt->config_path = optarg;
			break;
		case 'f':
			opt->foreground = true;
			break;
		case 'p':
			opt->socket = optarg;
			break;
		case 't':
			opt->check_only = true;
			break;
		case 'V':
			opt->version = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (opt->socket != NULL &&
	    socket_check(opt->socket, err, sizeof(err)) < 0) {
		fprintf(stderr, "bulwark: -p %s: %s\n", opt->socket, err);
		exit(EX_USAGE);
	}
}

/* The configuration, or exit with "file:line: what" on stderr. */
static struct config *load_config(const char *path)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = config_load(path, err, sizeof(err));

	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(EX_CONFIG);
	}
	return cfg;
}

/*
 * With the firewall on, its table and sets must be there: a configuration
 * error otherwise, before anything is opened.
 */
static void check_firewall(const struct config *cfg, bool logged)
{
	char err[512], quoted[1024];

	if (firewall_check(cfg, err, sizeof(err)) == 0)
		return;
	escape(err, ESCAPE_QUOTED, quoted, sizeof(quoted));
	if (logged)
		log_error("event=fatal reason=\"firewall: %s\"", quoted);
	else
		fprintf(stderr, "%s: firewall: %s\n", cfg->path, quoted);
	exit(EX_CONFIG);
}

/* Undo what the start made so far, then exit 1 with the reason. */
static void start_failed(const struct daemon *d, const char *what,
    const char *err)
{
	char quoted[1024];

	escape(err, ESCAPE_QUOTED, quoted, sizeof(quoted));
	control_stop();
	metrics_http_stop();
	socket_remove();
	pidfile_remove();
	log_error("event=fatal reason=\"%s%s\"", what, quoted);
	exit(EXIT_FAILURE);
}

/* Store, policy and libmilter's registration. */
static void open_policy(struct daemon *d)
{
	char err[512];

	if ((d->store = store_open(d->cfg, err, sizeof(err))) == NULL) {
		log_error("event=fatal reason=\"store %s: %s\"", d->cfg->store,
		    err);
		exit(EXIT_FAILURE);
	}
	d->policy = policy_new(config_ref(d->cfg), d->store);
	if (callbacks_register(d->policy) < 0) {
		log_error("event=fatal reason=\"libmilter refused the filter "
		    "registration\"");
		exit(EXIT_FAILURE);
	}
}

/*
 * Everything privileged: sockets, listener, pid file.  The unix sockets
 * and the pid file are made as socket.h and daemon.h say, so that they
 * belong to the user before the switch.
 */
static int open_privileged(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	char err[1024];
	int pidfile;

	if (socket_open(d->socket, cfg->socket_mode, &d->priv, err,
	    sizeof(err)) < 0)
		start_failed(d, "socket ", err);
	if (cfg->control[0] != '\0' && control_open(cfg->control,
	    cfg->control_mode, &d->priv, err, sizeof(err)) < 0)
		start_failed(d, "control ", err);
	if (metrics_http_open(cfg->metrics_listen, err, sizeof(err)) < 0)
		start_failed(d, "metrics_listen ", err);
	if (cfg->pidfile[0] == '\0')
		return -1;
	if ((pidfile = pidfile_open(cfg->pidfile, &d->priv, err,
	    sizeof(err))) < 0)
		start_failed(d, "", err);
	return pidfile;
}

/*
 * Where the log goes: syslog (and the terminal until detached, or for
 * good with -f), a file of its own (log_file) likewise, or stderr alone.
 */
static void open_log(struct daemon *d)
{
	const char *log_file = d->cfg->log_file;
	char err[1024];

	d->log_fd = -1;
	if (strcmp(log_file, "stderr") == 0) {
		log_open_fd(-1, true);
	} else if (log_file[0] != '\0') {
		if ((d->log_fd = logfile_open(log_file, &d->priv, err,
		    sizeof(err))) < 0)
			start_failed(d, "", err);
		log_open_fd(d->log_fd, true);
	}
}

static const char *facility_name(int facility)
{
	for (const CODE *c = facilitynames; c->c_name != NULL; c++) {
		if (c->c_val == facility)
			return c->c_name;
	}
	return "?";
}

/* "syslog (facility mail)", a file's path, or "stderr". */
static void log_destination(const struct config *cfg, char *buf, size_t len)
{
	if (cfg->log_file[0] == '\0')
		snprintf(buf, len, "syslog (facility %s)",
		    facility_name(cfg->syslog_facility));
	else
		snprintf(buf, len, "%s", cfg->log_file);
}

/* In the foreground, say where the log goes before anything else. */
static void tell_log(const struct daemon *d)
{
	char where[1100];

	if (!d->opt->foreground)
		return;
	log_destination(d->cfg, where, sizeof(where));
	fprintf(stderr, "bulwark: logging to %s%s, level %s\n", where,
	    strcmp(d->cfg->log_file, "stderr") == 0 ? "" : " and stderr",
	    (const char *[]){ "error", "warning", "notice", "info",
	    "debug" }[d->cfg->log_level]);
}

static void start(struct daemon *d)
{
	char err[512];
	int pidfile;

	if (privdrop_prepare(&d->priv, d->cfg->user, d->cfg->group, err,
	    sizeof(err)) < 0)
		start_failed(d, "", err);
	d->priv.keep_net_admin = d->cfg->firewall.enabled;
	check_firewall(d->cfg, true);
	open_log(d);
	open_policy(d);
	pidfile = open_privileged(d);
	if (!d->opt->foreground && daemon_detach(err, sizeof(err)) < 0)
		start_failed(d, "", err);
	if (pidfile >= 0 && pidfile_write(pidfile, err, sizeof(err)) < 0)
		start_failed(d, "", err);
	if (privdrop_apply(&d->priv, err, sizeof(err)) < 0)
		start_failed(d, "", err);
	daemon_state_load(d->cfg, d->store);
}

static void *milter_main(void *arg)
{
	struct daemon *d = arg;

	signals_allow_wake();
	d->milter_rc = smfi_main();
	signals_milter_done();
	return NULL;
}

static void start_threads(struct daemon *d)
{
	char err[512];
	sigset_t saved;
	int rc;

	if (signals_init(err, sizeof(err)) < 0)
		start_failed(d, "", err);
	runtime_init(&d->rt, d->config_path, d->policy, d->store,
	    d->opt->foreground);
	metrics_set_start_time(d->rt.started);
	if (control_start(&d->rt, err, sizeof(err)) < 0)
		start_failed(d, "", err);
	if (metrics_http_start(d->store, err, sizeof(err)) < 0)
		start_failed(d, "metrics ", err);
	if (firewall_start(d->policy, d->store, err, sizeof(err)) < 0)
		start_failed(d, "firewall: ", err);
	signals_hold(&saved);
	if (runtime_watch_start(&d->rt, err, sizeof(err)) < 0) {
		signals_release(&saved);
		start_failed(d, "", err);
	}
	rc = pthread_create(&d->milter, NULL, milter_main, d);
	signals_release(&saved);
	if (rc != 0)
		start_failed(d, "milter thread: ", strerror(rc));
}

static void log_start(const struct daemon *d)
{
	char socket_text[1024], config_text[1024], control_text[1024];

	escape(d->socket, ESCAPE_QUOTED, socket_text, sizeof(socket_text));
	escape(d->config_path, ESCAPE_QUOTED, config_text,
	    sizeof(config_text));
	escape(d->cfg->control, ESCAPE_QUOTED, control_text,
	    sizeof(control_text));
	log_notice("event=start version=%s node=%s pid=%ld socket=\"%s\" "
	    "store=%s config=\"%s\" control=\"%s\" user=%s monitor_only=%s "
	    "metrics=\"%s\"",
	    BULWARK_VERSION, d->rt.node, (long)getpid(), socket_text,
	    d->cfg->store, config_text, control_text, d->priv.needed ? d->priv.user : "-",
	    d->cfg->monitor_only ? "yes" : "no", d->cfg->metrics_listen);
}

/*
 * Wait for signals until one says stop (true), or libmilter's loop
 * returned without being asked (false).
 */
static bool serve(struct daemon *d)
{
	char err[CONFIG_ERROR_MAX];
	int sig;

	for (;;) {
		sig = signals_wait();
		if (sig == SIGHUP) {
			runtime_reload(&d->rt, "signal", err, sizeof(err));
			continue;
		}
		if (sig == 0) {
			log_error("event=milter-stopped reason=\"libmilter's "
			    "loop returned\"");
			return false;
		}
		log_notice("event=stopping signal=%s",
		    sig == SIGINT ? "INT" : "TERM");
		return true;
	}
}

/*
 * smfi_stop() sets libmilter's stop flag, then waits for the listener's
 * lock to close the listening socket; the listener holds that lock while
 * it polls, for up to 5 s.  So it is called from a thread of its own
 * while the main thread wakes the listener, which then sees the flag.
 */
static void *milter_stopper(void *arg)
{
	(void)arg;
	smfi_stop();
	return NULL;
}

/*
 * Join libmilter's thread, waking its listener until it has returned,
 * then the stopper: exit() must not tear down libmilter's lock while the
 * stopper may still hold it.
 */
static void milter_join(struct daemon *d)
{
	struct timespec deadline;
	pthread_t stopper;
	bool started;
	sigset_t saved;

	signals_hold(&saved);
	started = pthread_create(&stopper, NULL, milter_stopper, NULL) == 0;
	if (!started)
		smfi_stop();
	signals_release(&saved);
	for (;;) {
		signals_wake(d->milter);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += MAIN_WAKE_NS;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(d->milter, NULL, &deadline) == 0)
			break;
	}
	if (started)
		pthread_join(stopper, NULL);
}

/* Exit status: 0 only for a stop that was asked for and went well. */
static int stop(struct daemon *d, bool asked)
{
	bool ok, drained;

	runtime_watch_stop(&d->rt);
	milter_join(d);
	ok = asked && d->milter_rc == MI_SUCCESS;
	drained = callbacks_drain(MAIN_DRAIN_MS) == 0;
	if (!drained)
		log_warning("event=stop-timeout reason=\"callbacks still "
		    "running after %u ms\"", MAIN_DRAIN_MS);
	else
		daemon_state_save(d->cfg, d->store);
	control_stop();
	metrics_http_stop();
	firewall_stop();
	socket_remove();
	pidfile_remove();
	log_notice("event=stop status=%s", ok ? "ok" : "error");
	/* A callback still running may use them: leave them to exit. */
	if (drained) {
		policy_free(d->policy);
		store_close(d->store);
	}
	runtime_destroy(&d->rt);
	return ok ? 0 : EXIT_FAILURE;
}

static void report_fatal(void *arg, const char *problem)
{
	char quoted[4096];

	(void)arg;
	escape(problem, ESCAPE_QUOTED, quoted, sizeof(quoted));
	log_error("event=fatal reason=\"%s\"", quoted);
}

static void report_stderr(void *arg, const char *problem)
{
	(void)arg;
	fprintf(stderr, "bulwark: warning: would not start now: %s\n",
	    problem);
}

/*
 * -t: the configuration (its status is the exit status), then what a
 * start would need now, as warnings: a runtime directory that a service
 * manager makes at start (systemd's RuntimeDirectory) is missing until
 * then.
 */
static int check_only(const struct config *cfg, const struct options *opt)
{
	const char *socket = opt->socket != NULL ? opt->socket : cfg->socket;
	pid_t running = preflight_running(cfg);
	unsigned problems;

	printf("bulwark: %s: configuration ok\n", opt->config_path);
	if (running > 0)
		printf("bulwark: a daemon runs with this configuration (pid "
		    "%ld): its sockets and ports are taken as its own\n",
		    (long)running);
	problems = preflight_run(cfg, socket, opt->foreground, running > 0,
	    report_stderr, NULL);
	if (problems > 0)
		fprintf(stderr, "bulwark: warning: %u problem%s: started now, "
		    "the daemon would stop at once\n", problems,
		    problems > 1 ? "s" : "");
	return 0;
}

static int run(struct config *cfg, const struct options *opt)
{
	struct daemon d = { .opt = opt, .cfg = cfg };
	int rc;

	d.socket = opt->socket != NULL ? opt->socket : cfg->socket;
	d.config_path = realpath(opt->config_path, NULL);
	if (d.config_path == NULL)
		d.config_path = xstrdup(opt->config_path);
	if (cfg->log_file[0] == '\0')
		log_open("bulwark", cfg->syslog_facility, true);
	log_set_level(cfg->log_level);
	tell_log(&d);
	if (preflight_run(cfg, d.socket, opt->foreground, false, report_fatal,
	    NULL) > 0)
		exit(EXIT_FAILURE);
	start(&d);
	start_threads(&d);
	daemon_ready();
	if (!opt->foreground && cfg->log_file[0] == '\0')
		log_open("bulwark", cfg->syslog_facility, false);
	else if (!opt->foreground)
		log_open_fd(d.log_fd, false);
	log_start(&d);
	rc = stop(&d, serve(&d));
	free(d.config_path);
	return rc;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct config *cfg;
	int rc;

	parse_options(argc, argv, &opt);
	if (opt.version) {
		printf("bulwark %s\n", BULWARK_VERSION);
		return 0;
	}
	cfg = load_config(opt.config_path);
	if (opt.check_only) {
		check_firewall(cfg, false);
		rc = check_only(cfg, &opt);
	} else {
		rc = run(cfg, &opt);
	}
	config_unref(cfg);
	return rc;
}
