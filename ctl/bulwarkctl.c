/*
 * bulwarkctl.c - control a running bulwark daemon over its control
 * socket: status, blocks, hosts, blocks by hand, the exclude file,
 * reload, metrics.
 *
 *   bulwarkctl [-j] [-c file | -s socket] command [argument ...]
 *
 * Options may come anywhere on the line ("list --json"); "--" ends them,
 * for a reason that starts with '-'.  The arguments are checked here
 * (their form; their meaning is the daemon's to judge), joined into one
 * request line and sent; the answer is printed for a human, or as it
 * came with -j.  help and version are answered here.  Exit statuses are
 * in ctl.h and bulwarkctl(8).
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
	bool all;
	bool yes;
	bool once;		/* top */
	unsigned interval;	/* top, 0: not given */
};

/* A command and how many arguments it takes; REST: the rest is one. */
#define CTL_REST (-1)

static const struct {
	const char *name;
	int min;
	int max;
} ctl_commands[] = {
	{ "status", 0, 0 }, { "list", 0, 1 }, { "show", 1, 1 },
	{ "block", 2, CTL_REST }, { "unblock", 0, 1 }, { "exclude", 1, 2 },
	{ "reload", 0, 0 }, { "metrics", 0, 0 }, { "help", 0, 0 },
	{ "version", 0, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
	    "usage: bulwarkctl [-j] [-c file | -s socket] command [argument ...]\n"
	    "commands:\n"
	    "  status                           the daemon, its store, its counters\n"
	    "  list [dos|dha|attack|manual]     the blocks in force\n"
	    "  show HOST                        what is known of a host\n"
	    "  block HOST DURATION [REASON]     block a host (or prefix) by hand\n"
	    "  unblock HOST                     end the blocks of a host or prefix\n"
	    "  unblock --all [DETECTOR] --yes   end every block (of a detector)\n"
	    "  exclude list                     the entries of exclude_file\n"
	    "  exclude add|remove HOST          change exclude_file and reload\n"
	    "  reload                           read the configuration again\n"
	    "  metrics                          the metrics, Prometheus text\n"
	    "  top [--once] [--json] [--interval SECONDS]  the live sessions\n"
    "  help                             this text\n"
	    "  version                          the version of bulwarkctl\n"
	    "HOST: an address (192.0.2.7, 2001:db8::1), a host as list prints it\n"
	    "(2001:db8::/64) or a CIDR prefix (192.0.2.0/24).\n"
	    "options (anywhere; -- ends them): -j, --json  the answer as JSON;\n"
	    "  -c file  find the control socket in file; -s socket  use it;\n"
	    "  -a, --all; -y, --yes (unblock); -h, --help; -V, --version.\n"
	    "exit: 0 done, 1 refused, 2 usage, 3 daemon unreachable, 4 restart "
	    "needed.\n");
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
	fprintf(stderr, "\n(bulwarkctl help lists the commands)\n");
	exit(CTL_USAGE);
}

static void version(void) __attribute__((noreturn));

static void version(void)
{
	printf("bulwarkctl %s\n", BULWARK_VERSION);
	exit(CTL_OK);
}

static int parse_options(int argc, char **argv, struct ctl_options *opt)
{
	static const struct option longs[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	long n;
	int c;

	memset(opt, 0, sizeof(*opt));
	while ((c = getopt_long(argc, argv, "ac:d:hjos:Vy", longs, NULL)) != -1) {
		switch (c) {
		case 'a':
			opt->all = true;
			break;
		case 'c':
			opt->config = optarg;
			break;
		case 's':
			opt->socket = optarg;
			break;
		case 'j':
			opt->json = true;
			break;
		case 'y':
			opt->yes = true;
			break;
		case 'o':
			opt->once = true;
			break;
		case 'd':
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 ||
			    n > CTL_TOP_INTERVAL_MAX)
				usage_error("--interval takes 1 to %d seconds",
				    CTL_TOP_INTERVAL_MAX);
			opt->interval = (unsigned)n;
			break;
		case 'h':
			usage(stdout);
			exit(CTL_OK);
		case 'V':
			version();
		default:
			usage_error("bad option");
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

static void check_detector(const char *cmd, const char *name)
{
	enum detector d;

	if (detector_from_name(name, &d) < 0)
		usage_error("%s: \"%s\" is not one of dos, dha, attack, manual",
		    cmd, name);
}

static void check_unblock(const struct ctl_options *opt, int argc,
    char **argv)
{
	if (!opt->all) {
		if (opt->yes)
			usage_error("unblock: --yes goes with --all");
		if (argc != 1)
			usage_error("unblock: give one address or prefix, or "
			    "--all");
		return;
	}
	if (argc == 1)
		check_detector("unblock --all", argv[0]);
	if (!opt->yes)
		usage_error("unblock --all ends every block%s%s on every node "
		    "that shares the store: confirm with --yes", argc == 1 ?
		    " of " : "", argc == 1 ? argv[0] : "");
}

static void check_exclude(int argc, char **argv)
{
	bool list = strcmp(argv[0], "list") == 0;

	if (!list && strcmp(argv[0], "add") != 0 &&
	    strcmp(argv[0], "remove") != 0)
		usage_error("exclude: \"%s\" is not one of list, add, remove",
		    argv[0]);
	if (list && argc > 1)
		usage_error("exclude list: too many arguments");
	if (!list && argc < 2)
		usage_error("exclude %s: missing address or prefix", argv[0]);
}

static void check_args(const struct ctl_options *opt, int cmd, int argc,
    char **argv)
{
	const char *name = ctl_commands[cmd].name;
	int max = ctl_commands[cmd].max;

	if ((opt->all || opt->yes) && strcmp(name, "unblock") != 0)
		usage_error("%s: --all and --yes go with unblock", name);
	if (argc < ctl_commands[cmd].min)
		usage_error("%s: missing argument", name);
	if (max != CTL_REST && argc > max)
		usage_error("%s: too many arguments", name);
	for (int i = 0; i < argc && (max != CTL_REST || i < 2); i++)
		check_word(argv[i]);
	if (strcmp(name, "list") == 0 && argc == 1)
		check_detector("list", argv[0]);
	if (strcmp(name, "unblock") == 0)
		check_unblock(opt, argc, argv);
	if (strcmp(name, "exclude") == 0)
		check_exclude(argc, argv);
	for (int i = 2; max == CTL_REST && i < argc; i++) {
		if (strchr(argv[i], '\n') != NULL)
			usage_error("the reason must fit on one line");
	}
}

/* The request line: the words joined by single spaces, then '\n'. */
static char *request_line(const char *name, bool all, int argc, char **argv)
{
	size_t len = strlen(name) + 8;
	char *line;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	line = xmalloc(len);
	strcpy(line, name);
	if (all)
		strcat(line, " --all");
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
	if (opt->json)
		fputs(answer, stdout);
	else
		ctl_render(name, doc);
	rc = ctl_exit_status(doc);
	json_decref(doc);
	return rc;
}

static int ctl_unreachable(const struct ctl_options *opt, const char *err,
    const char *source)
{
	fprintf(stderr, "bulwarkctl: %s\n", err);
	if (opt->socket == NULL)
		fprintf(stderr, "bulwarkctl: that socket is %s; if bulwark "
		    "listens elsewhere, name its control socket with -s "
		    "unix:/path, or its configuration with -c file\n", source);
	return CTL_UNREACHABLE;
}

int main(int argc, char **argv)
{
	struct ctl_options opt;
	char path[CTL_PATH_MAX], source[1200], err[1300], *line, *answer;
	int first = parse_options(argc, argv, &opt);
	int cmd, rc;
	const char *name;

	if (strcmp(argv[first], "top") == 0) {
		if (argc - first > 1)
			usage_error("top: too many arguments");
		return ctl_top(opt.config, opt.socket, opt.json, opt.once,
		    opt.interval > 0 ? opt.interval : 2);
	}
	if (opt.once || opt.interval > 0)
		usage_error("--once and --interval are options of top");
	cmd = ctl_command_index(argv[first]);
	name = ctl_commands[cmd].name;

	check_args(&opt, cmd, argc - first - 1, argv + first + 1);
	if (strcmp(name, "help") == 0) {
		usage(stdout);
		return CTL_OK;
	}
	if (strcmp(name, "version") == 0)
		version();
	rc = ctl_find_socket(opt.config, opt.socket, path, sizeof(path),
	    source, sizeof(source), err, sizeof(err));
	if (rc != CTL_OK) {
		fprintf(stderr, "bulwarkctl: %s\n", err);
		return rc;
	}
	line = request_line(name, opt.all, argc - first - 1, argv + first + 1);
	rc = ctl_request(path, line, &answer, err, sizeof(err));
	free(line);
	if (rc != CTL_OK)
		return ctl_unreachable(&opt, err, source);
	rc = ctl_answer(&opt, name, answer);
	free(answer);
	return rc;
}
