/*
 * bulwarkctl.c - control a running bulwark daemon over its control
 * socket: status, blocks, hosts, blocks by hand, reload, metrics.
 *
 *   bulwarkctl [-j] [-c file | -s socket] command [argument ...]
 *
 * The arguments are checked here (their form; their meaning is the
 * daemon's to judge), joined into one request line and sent; the answer
 * is printed for a human, or as it came with -j.  Exit statuses are in
 * ctl.h and bulwarkctl(8).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "detector.h"
#include "xalloc.h"

struct ctl_options {
	const char *config;
	const char *socket;
	bool json;
};

/* A command and how many arguments it takes; REST: the rest is one. */
#define CTL_REST (-1)

static const struct {
	const char *name;
	int min;
	int max;
} ctl_commands[] = {
	{ "status", 0, 0 }, { "list", 0, 1 }, { "show", 1, 1 },
	{ "block", 2, CTL_REST }, { "unblock", 1, 1 }, { "reload", 0, 0 },
	{ "metrics", 0, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
	    "usage: bulwarkctl [-j] [-c file | -s socket] command [argument ...]\n"
	    "commands:\n"
	    "  status                            the daemon, its store, its counters\n"
	    "  list [dos|dha|attack|manual]      the blocks in force\n"
	    "  show ADDRESS                      what is known of a host\n"
	    "  block ADDRESS DURATION [REASON]   block a host by hand\n"
	    "  unblock ADDRESS                   end a host's blocks\n"
	    "  reload                            read the configuration again\n"
	    "  metrics                           the metrics, Prometheus text\n"
	    "  top [--once] [--json] [--interval SECONDS]  the live sessions\n");
}

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bulwarkctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(CTL_USAGE);
}

static int parse_options(int argc, char **argv, struct ctl_options *opt)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof(*opt));
	/* "+": options end at the command, so a reason may start with '-'. */
	while ((c = getopt_long(argc, argv, "+c:hjs:V", longs, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt->config = optarg;
			break;
		case 's':
			opt->socket = optarg;
			break;
		case 'j':
			opt->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(CTL_OK);
		case 'V':
			printf("bulwarkctl %s\n", BULWARK_VERSION);
			exit(CTL_OK);
		default:
			usage(stderr);
			exit(CTL_USAGE);
		}
	}
	if (opt->config != NULL && opt->socket != NULL)
		usage_error("-c and -s cannot be used together");
	if (optind == argc)
		usage_error("no command given");
	return optind;
}

static int ctl_command_index(const char *name)
{
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]);
	    i++) {
		if (strcmp(ctl_commands[i].name, name) == 0)
			return (int)i;
	}
	usage_error("unknown command \"%s\"", name);
}

/* A word of the request: no blank, no control character. */
static void check_word(const char *arg)
{
	if (arg[0] == '\0')
		usage_error("an argument is empty");
	for (const unsigned char *p = (const unsigned char *)arg; *p != '\0';
	    p++) {
		if (*p <= ' ' || *p == 0x7f)
			usage_error("\"%s\": blanks and control characters are "
			    "not allowed here", arg);
	}
}

static void check_args(int cmd, int argc, char **argv)
{
	int max = ctl_commands[cmd].max;

	if (argc < ctl_commands[cmd].min)
		usage_error("%s: missing argument", ctl_commands[cmd].name);
	if (max != CTL_REST && argc > max)
		usage_error("%s: too many arguments", ctl_commands[cmd].name);
	for (int i = 0; i < argc && (max != CTL_REST || i < 2); i++)
		check_word(argv[i]);
	if (strcmp(ctl_commands[cmd].name, "list") == 0 && argc == 1) {
		enum detector d;

		if (detector_from_name(argv[0], &d) < 0)
			usage_error("list: \"%s\" is not one of dos, dha, attack, "
			    "manual", argv[0]);
	}
	for (int i = 2; max == CTL_REST && i < argc; i++) {
		if (strchr(argv[i], '\n') != NULL)
			usage_error("the reason must fit on one line");
	}
}

/* The request line: the words joined by single spaces, then '\n'. */
static char *request_line(const char *name, int argc, char **argv)
{
	size_t len = strlen(name) + 2;
	char *line;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	line = xmalloc(len);
	strcpy(line, name);
	for (int i = 0; i < argc; i++) {
		strcat(line, " ");
		strcat(line, argv[i]);
	}
	strcat(line, "\n");
	return line;
}

static int ctl_answer(const struct ctl_options *opt, const char *name,
    const char *answer)
{
	json_error_t error;
	json_t *doc = json_loads(answer, 0, &error);
	char *why;
	int rc;

	if (doc == NULL) {
		why = ctl_clean(error.text);
		fprintf(stderr, "bulwarkctl: the daemon's answer is not JSON "
		    "(offset %d: %s)\n", error.position, why);
		free(why);
		return CTL_FAILED;
	}
	if (opt->json) {
		fputs(answer, stdout);
		rc = json_is_true(json_object_get(doc, "ok")) ? CTL_OK :
		    CTL_FAILED;
	} else {
		rc = ctl_render(name, doc);
	}
	json_decref(doc);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctl_options opt;
	char path[CTL_PATH_MAX], err[1024], *line, *answer;
	int first = parse_options(argc, argv, &opt);
	int cmd, rc;

	if (strcmp(argv[first], "top") == 0)
		return ctl_top(opt.config, opt.socket, opt.json, argc - first,
		    argv + first);
	cmd = ctl_command_index(argv[first]);

	check_args(cmd, argc - first - 1, argv + first + 1);
	rc = ctl_find_socket(opt.config, opt.socket, path, sizeof(path), err,
	    sizeof(err));
	if (rc != CTL_OK) {
		fprintf(stderr, "bulwarkctl: %s\n", err);
		return rc;
	}
	line = request_line(ctl_commands[cmd].name, argc - first - 1,
	    argv + first + 1);
	rc = ctl_request(path, line, &answer, err, sizeof(err));
	free(line);
	if (rc != CTL_OK) {
		fprintf(stderr, "bulwarkctl: %s\n", err);
		return rc;
	}
	rc = ctl_answer(&opt, ctl_commands[cmd].name, answer);
	free(answer);
	return rc;
}
