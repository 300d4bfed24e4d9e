/*
 * main.c - the bulwark daemon: options, start, serve, stop.
 *
 *   bulwark [-c file] [-f] [-t] [-p socket] [-V]
 *
 * The configuration, the store and the milter socket are all opened
 * before the process detaches (unless -f), so a start-up error reaches the
 * terminal; the process that serves writes the pid file.  libmilter turns
 * SIGTERM, SIGINT and SIGHUP into a return from smfi_main(), after which
 * the stop is logged and the socket and pid file are removed.
 *
 * Exit status: 0; EX_USAGE (64) for bad usage; EX_CONFIG (78) for a bad
 * configuration; 1 when the daemon could not start or serve.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "config.h"
#include "daemon.h"
#include "escape.h"
#include "log.h"
#include "policy.h"
#include "socket.h"
#include "store.h"

struct options {
	const char *config_path;
	const char *socket;		/* -p, or NULL for the configured one */
	bool foreground;
	bool check_only;
	bool version;
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

static void log_start(const struct config *cfg, const char *socket)
{
	char socket_text[ESCAPE_OUT_MAX], config_text[ESCAPE_OUT_MAX];

	log_notice("event=start version=%s pid=%ld socket=%s store=%s "
	    "config=%s monitor_only=%s", BULWARK_VERSION, (long)getpid(),
	    escape_text(socket, socket_text, sizeof(socket_text)), cfg->store,
	    escape_text(cfg->path, config_text, sizeof(config_text)),
	    cfg->monitor_only ? "yes" : "no");
}

/* Open the milter socket, detach unless foreground, write the pid file. */
static void start(const struct config *cfg, const char *socket,
    bool foreground)
{
	char err[512];
	FILE *pidfile;

	if (socket_open(socket, cfg->socket_mode, err, sizeof(err)) < 0)
		fatal(EXIT_FAILURE, "event=fatal reason=\"socket %s\"", err);
	if ((pidfile = pidfile_open(cfg->pidfile, err, sizeof(err))) == NULL)
		fatal(EXIT_FAILURE, "event=fatal reason=\"%s\"", err);
	if (!foreground) {
		if (daemon_detach(err, sizeof(err)) < 0)
			fatal(EXIT_FAILURE, "event=fatal reason=\"%s\"", err);
		log_open("bulwark", cfg->syslog_facility, false);
	}
	if (pidfile_write(pidfile, err, sizeof(err)) < 0)
		fatal(EXIT_FAILURE, "event=fatal reason=\"%s\"", err);
}

static int serve(struct config *cfg, const struct options *opt)
{
	const char *socket = opt->socket != NULL ? opt->socket : cfg->socket;
	char err[512];
	struct store *store;
	struct policy *policy;
	int rc;

	log_open("bulwark", cfg->syslog_facility, true);
	log_set_level(cfg->log_level);
	if ((store = store_open(cfg, err, sizeof(err))) == NULL)
		fatal(EXIT_FAILURE, "event=fatal reason=\"store %s: %s\"",
		    cfg->store, err);
	policy = policy_new(config_ref(cfg), store);
	if (callbacks_register(policy) < 0)
		fatal(EXIT_FAILURE, "event=fatal reason=\"libmilter refused "
		    "the filter registration\"");
	start(cfg, socket, opt->foreground);
	log_start(cfg, socket);
	rc = smfi_main();
	log_notice("event=stop status=%s", rc == MI_SUCCESS ? "ok" : "error");
	socket_remove(socket);
	unlink(cfg->pidfile);
	policy_free(policy);
	store_close(store);
	return rc == MI_SUCCESS ? 0 : EXIT_FAILURE;
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
		printf("bulwark: %s: configuration ok\n", opt.config_path);
		rc = 0;
	} else {
		rc = serve(cfg, &opt);
	}
	config_unref(cfg);
	return rc;
}
