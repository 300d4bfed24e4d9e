/*
 * main.c - bulwark-replay: what would bulwark have blocked on these mail
 * logs?  See bulwark-replay(8).
 *
 *   bulwark-replay [-c CONFIG] [--set KEY=VALUE]... [--sweep KEY=V1,V2,...]
 *                  [--json] [--html FILE] [--top N] [-q] LOGFILE...
 *
 * The logs are read once, whatever --sweep asks: each value of the sweep
 * is one engine (engine.c) fed the same events.  --html needs a second
 * pass, with the hosts to draw known; standard input is then kept in an
 * unlinked temporary file to be read again.
 *
 * Exit status: 0 the replay ran (blocks or not), 1 a configuration or a
 * file could not be read, 2 a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"
#include "replay.h"
#include "xalloc.h"

#define MAIN_HOSTNAMES_MAX 4096
#define MAIN_TOP_DEFAULT 10

struct main_options {
	const char *config;		/* NULL: the defaults */
	struct setting *set;
	size_t nset;
	char *sweep_key;
	char **sweep_values;
	size_t nsweep;
	bool json;
	const char *html;
	size_t top;
	bool quiet;
	char **files;
	size_t nfiles;
};

/* Log host names seen, so that a session is (host, pid). */
struct main_hostnames {
	char *names[MAIN_HOSTNAMES_MAX];
	size_t count;
	size_t last;
};

static void main_usage(FILE *out)
{
	fprintf(out, "usage: bulwark-replay [-c CONFIG] [--set KEY=VALUE]... "
	    "[--sweep KEY=V1,V2,...]\n"
	    "                      [--json] [--html FILE] [--top N] [-q] "
	    "LOGFILE...\n"
	    "       bulwark-replay --help | --version\n");
}

static void main_fail_usage(const char *what)
{
	fprintf(stderr, "bulwark-replay: %s\n", what);
	main_usage(stderr);
	exit(2);
}

static void main_sweep(struct main_options *o, char *arg)
{
	struct setting s;
	char *p, *save = NULL;

	if (settings_split(arg, &s) < 0 || s.value[0] == '\0')
		main_fail_usage("--sweep wants KEY=V1,V2,...");
	o->sweep_key = (char *)s.key;
	for (p = strtok_r((char *)s.value, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		o->sweep_values = xrealloc(o->sweep_values, o->nsweep + 1,
		    sizeof(char *));
		o->sweep_values[o->nsweep++] = p;
	}
	if (o->nsweep == 0)
		main_fail_usage("--sweep wants KEY=V1,V2,...");
}

static void main_options(int argc, char **argv, struct main_options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "sweep", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "top", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct stat st;
	char *end;
	int c;

	o->top = MAIN_TOP_DEFAULT;
	while ((c = getopt_long(argc, argv, "c:jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's':
			o->set = xrealloc(o->set, o->nset + 1, sizeof(*o->set));
			if (settings_split(optarg, &o->set[o->nset++]) < 0)
				main_fail_usage("--set wants KEY=VALUE");
			break;
		case 'S':
			if (o->sweep_key != NULL)
				main_fail_usage("--sweep is given once");
			main_sweep(o, optarg);
			break;
		case 'j': o->json = true; break;
		case 'H': o->html = optarg; break;
		case 't':
			errno = 0;
			o->top = (size_t)strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || o->top == 0 ||
			    o->top > 1000)
				main_fail_usage("--top wants a number from 1 to 1000");
			break;
		case 'q': o->quiet = true; break;
		case 'h': main_usage(stdout); exit(0);
		case 'V': printf("bulwark-replay %s\n", BULWARK_VERSION); exit(0);
		default: main_usage(stderr); exit(2);
		}
	}
	if (optind >= argc)
		main_fail_usage("no log file (\"-\" reads standard input)");
	if (o->html != NULL && o->sweep_key != NULL)
		main_fail_usage("--html draws one configuration: not with --sweep");
	o->files = argv + optind;
	o->nfiles = (size_t)(argc - optind);
	if (o->config == NULL && stat(CONFIG_DEFAULT_PATH, &st) == 0)
		o->config = CONFIG_DEFAULT_PATH;
}

static uint64_t main_session(struct main_hostnames *hn, const char *host,
    long pid)
{
	size_t i = hn->last;

	if (i >= hn->count || strcmp(hn->names[i], host) != 0) {
		for (i = 0; i < hn->count && strcmp(hn->names[i], host) != 0; i++)
			;
		if (i == hn->count) {
			/* Past the table, hosts share its last slot. */
			if (hn->count < MAIN_HOSTNAMES_MAX)
				hn->names[hn->count++] = xstrdup(host);
			else
				i = MAIN_HOSTNAMES_MAX - 1;
		}
		hn->last = i;
	}
	return (uint64_t)i << 32 | (uint32_t)pid;
}

static void main_unparsed(struct replay_stats *st, const struct log_line *l)
{
	size_t i = (size_t)st->unparsed++;

	if (i >= REPLAY_UNPARSED_SHOWN)
		return;
	escape(l->file, ESCAPE_QUOTED, st->shown[i].where,
	    sizeof(st->shown[i].where) - 24);
	snprintf(st->shown[i].where + strlen(st->shown[i].where), 24, ":%lu",
	    l->lineno);
	escape(l->text, ESCAPE_QUOTED, st->shown[i].text,
	    sizeof(st->shown[i].text));
}

struct main_progress {
	bool quiet;
	bool tty;
	time_t started;
	time_t shown;
};

static void main_progress(struct main_progress *p, const struct input *in,
    uint64_t lines, bool done)
{
	time_t now = time(NULL);
	uint64_t bytes, total;

	if (p->quiet || (!done && (now - p->started < 3 || now == p->shown)) ||
	    (done && p->shown == 0))
		return;
	p->shown = now;
	input_progress(in, &bytes, &total);
	fprintf(stderr, "bulwark-replay: %llu lines", (unsigned long long)lines);
	if (total > 0)
		fprintf(stderr, ", %llu%%", (unsigned long long)
		    (bytes >= total ? 100 : bytes * 100 / total));
	fprintf(stderr, done ? ", done\n" : p->tty ? "\r" : "\n");
}

struct main_engines {
	struct engine *const *engines;
	size_t n;
};

static void main_emit(const struct replay_event *ev, void *arg)
{
	const struct main_engines *me = arg;

	for (size_t i = 0; i < me->n; i++)
		engine_event(me->engines[i], ev);
}

static void main_line(const struct log_line *l, struct main_hostnames *hn,
    struct sendmail *sm, struct main_engines *me, struct replay_stats *st)
{
	struct replay_event ev;
	enum parse_result rc;

	st->lines++;
	switch (l->kind) {
	case LINE_CONTINUED:
		st->continued++;
		return;
	case LINE_UNPARSED:
		main_unparsed(st, l);
		return;
	case LINE_SYSLOG:
		break;
	}
	st->syslog++;
	if (postfix_is_smtpd(l->prog)) {
		st->mta++;
		if (l->pid < 0)
			rc = PARSE_BAD;
		else if ((rc = postfix_parse(l, main_session(hn, l->host, l->pid),
		    &ev)) == PARSE_EVENT)
			main_emit(&ev, me);
	} else if (sendmail_is_mta(l->prog)) {
		st->mta++;
		rc = l->pid < 0 ? PARSE_BAD : sendmail_line(sm, l,
		    main_session(hn, l->host, l->pid), main_emit, me);
	} else {
		return;
	}
	if (rc == PARSE_BAD)
		main_unparsed(st, l);
}

/* One pass over the logs; 0, or -1 with the reason printed. */
static int main_pass(const struct main_options *o,
    struct engine *const *engines, size_t n, struct replay_stats *st)
{
	struct main_hostnames hn = { .count = 0 };
	struct main_progress progress = { o->quiet, isatty(STDERR_FILENO) != 0,
	    time(NULL), 0 };
	char err[512];
	struct input *in = input_open(o->files, o->nfiles, err, sizeof(err));
	const struct log_line *l;
	struct main_engines me = { engines, n };
	struct sendmail *sm;
	int rc = 0;

	if (in == NULL) {
		fprintf(stderr, "bulwark-replay: %s\n", err);
		return -1;
	}
	memset(st, 0, sizeof(*st));
	sm = sendmail_new();
	while ((l = input_next(in, err, sizeof(err))) != NULL) {
		main_line(l, &hn, sm, &me, st);
		if ((st->lines & 0xffff) == 0) {
			main_progress(&progress, in, st->lines, false);
			if (l->kind == LINE_SYSLOG)
				sendmail_expire(sm, l->time, main_emit, &me);
		}
	}
	sendmail_expire(sm, INT64_MAX, main_emit, &me);
	sendmail_free(sm);
	if (err[0] != '\0') {
		fprintf(stderr, "bulwark-replay: %s\n", err);
		rc = -1;
	}
	main_progress(&progress, in, st->lines, true);
	for (size_t i = 0; i < n; i++)
		engine_finish(engines[i]);
	for (size_t i = 0; i < hn.count; i++)
		free(hn.names[i]);
	input_close(in);
	return rc;
}

static struct engine *main_engine(const struct main_options *o,
    const char *sweep_value)
{
	struct setting *set = xcalloc(o->nset + 1, sizeof(*set));
	struct config *cfg;
	struct engine *e;
	char err[CONFIG_ERROR_MAX];

	memcpy(set, o->set, o->nset * sizeof(*set));
	if (sweep_value != NULL)
		set[o->nset] = (struct setting){ o->sweep_key, sweep_value };
	cfg = settings_load(o->config, set, o->nset + (sweep_value != NULL),
	    err, sizeof(err));
	free(set);
	if (cfg == NULL || (e = engine_new(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bulwark-replay: %s\n", err);
		exit(1);
	}
	return e;
}

/* Keep standard input in a temporary file, to read it twice. */
static void main_spool_stdin(const struct main_options *o)
{
	char path[] = "/tmp/bulwark-replay.XXXXXX";
	const char *dir = getenv("TMPDIR");
	char buf[65536], *tpl;
	ssize_t n;
	int fd;
	bool needed = false;

	for (size_t i = 0; i < o->nfiles; i++)
		needed |= strcmp(o->files[i], "-") == 0;
	if (!needed)
		return;
	if (dir != NULL && dir[0] == '/') {
		tpl = xmalloc(strlen(dir) + 32);
		sprintf(tpl, "%s/bulwark-replay.XXXXXX", dir);
	} else {
		tpl = xstrdup(path);
	}
	if ((fd = mkstemp(tpl)) < 0 || unlink(tpl) < 0) {
		fprintf(stderr, "bulwark-replay: %s: %s\n", tpl, strerror(errno));
		exit(1);
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			fprintf(stderr, "bulwark-replay: %s: %s\n", tpl,
			    strerror(errno));
			exit(1);
		}
	}
	if (n < 0 || lseek(fd, 0, SEEK_SET) < 0 || dup2(fd, STDIN_FILENO) < 0) {
		fprintf(stderr, "bulwark-replay: %s: %s\n", tpl, strerror(errno));
		exit(1);
	}
	close(fd);
	free(tpl);
}

static void main_rewind_stdin(void)
{
	lseek(STDIN_FILENO, 0, SEEK_SET);
}

static int main_html(const struct main_options *o, struct engine *first,
    const struct replay_stats *st)
{
	size_t n;
	struct replay_chart *charts = report_charts_pick(first, o->top, &n);
	struct engine *e = main_engine(o, NULL);
	struct replay_stats st2;
	FILE *out;
	int rc = -1;

	engine_watch(e, charts, n);
	main_rewind_stdin();
	if (main_pass(o, &e, 1, &st2) == 0) {
		if ((out = fopen(o->html, "w")) == NULL) {
			fprintf(stderr, "bulwark-replay: %s: %s\n", o->html,
			    strerror(errno));
		} else {
			rc = report_html(out, first, st, charts, n);
			if (fclose(out) != 0 || rc < 0) {
				fprintf(stderr, "bulwark-replay: %s: write "
				    "failed\n", o->html);
				rc = -1;
			}
		}
	}
	engine_free(e);
	free(charts);
	return rc;
}

int main(int argc, char **argv)
{
	struct main_options o = { 0 };
	struct engine **engines;
	struct replay_stats st;
	size_t n;
	int rc = 0;

	main_options(argc, argv, &o);
	log_set_level(LOG_LEVEL_ERROR);
	n = o.sweep_key != NULL ? o.nsweep : 1;
	engines = xcalloc(n, sizeof(*engines));
	for (size_t i = 0; i < n; i++)
		engines[i] = main_engine(&o, o.sweep_key != NULL ?
		    o.sweep_values[i] : NULL);
	if (o.html != NULL)
		main_spool_stdin(&o);
	if (main_pass(&o, engines, n, &st) < 0)
		rc = 1;
	else if (o.html != NULL && main_html(&o, engines[0], &st) < 0)
		rc = 1;
	if (rc == 0) {
		if (o.sweep_key != NULL && o.json)
			report_sweep_json(stdout, o.sweep_key, o.sweep_values,
			    engines, n);
		else if (o.sweep_key != NULL)
			report_sweep(stdout, o.sweep_key, o.sweep_values,
			    engines, n);
		else if (o.json)
			report_json(stdout, engines[0], &st);
		else
			report_text(stdout, engines[0], &st, o.config != NULL ?
			    o.config : "(defaults)", o.top);
	}
	for (size_t i = 0; i < n; i++)
		engine_free(engines[i]);
	free(engines);
	free(o.set);
	free(o.sweep_values);
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = 1;
	return rc;
}
