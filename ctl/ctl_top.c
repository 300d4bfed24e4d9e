/*
 * ctl_top.c - bulwarkctl top: the daemon's live sessions as a view that
 * refreshes, like top(1).
 *
 *   bulwarkctl [-j] [-c file | -s socket] top [--once] [--json]
 *       [--interval seconds]
 *
 * Each frame is one "top" request (milter/control/commands.h says what
 * its answer holds).  On a terminal a frame clears the screen first;
 * --once prints one frame and exits; --json (or -j before the command)
 * prints each answer as it came, one line each.  A refreshing view
 * carries on when the daemon goes away, saying so, until interrupted;
 * --once exits with the status of ctl.h instead.  Every string from the
 * daemon goes through ctl_clean() (the tables do it) before it reaches
 * the terminal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "isotime.h"

#define TOP_TEXT_MAX		64

struct top_options {
	bool once;
	bool json;
	unsigned interval;
	char path[CTL_PATH_MAX];
};

static const char *top_str(const json_t *obj, const char *key)
{
	const char *value = json_string_value(json_object_get(obj, key));

	return value != NULL ? value : "-";
}

static json_int_t top_int(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

static const char *top_num(const json_t *obj, const char *key, char *buf)
{
	const json_t *value = json_object_get(obj, key);

	if (!json_is_integer(value))
		return "-";
	snprintf(buf, TOP_TEXT_MAX, "%" JSON_INTEGER_FORMAT,
	    json_integer_value(value));
	return buf;
}

static const char *top_time(const json_t *obj, const char *key, char *buf)
{
	json_int_t t = top_int(obj, key);

	if (t <= 0)
		return "-";
	isotime_format((int64_t)t, buf, TOP_TEXT_MAX);
	return buf;
}

static void top_title(const json_t *a, const struct top_options *opt)
{
	const json_t *stages = json_object_get(a, "stages");
	const json_t *store = json_object_get(a, "store");
	const json_t *refusals = json_object_get(a, "refusals");
	char now[TOP_TEXT_MAX];
	char *node = ctl_clean(top_str(a, "node"));
	char *backend = ctl_clean(top_str(store, "backend"));
	char *health = ctl_clean(top_str(store, "health"));

	printf("bulwark top - %s - %s", node, top_time(a, "now", now));
	if (!opt->once)
		printf(" - every %u s, ^C to quit", opt->interval);
	printf("\nsessions %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	    ": %" JSON_INTEGER_FORMAT " connected, %" JSON_INTEGER_FORMAT
	    " greeted, %" JSON_INTEGER_FORMAT " in a transaction, %"
	    JSON_INTEGER_FORMAT " in data", top_int(a, "sessions"),
	    top_int(a, "capacity"), top_int(stages, "connected"),
	    top_int(stages, "greeted"), top_int(stages, "transaction"),
	    top_int(stages, "data"));
	if (top_int(a, "untracked") > 0)
		printf(" (%" JSON_INTEGER_FORMAT " untracked: table full)",
		    top_int(a, "untracked"));
	printf("\nrefusals %.1f/s (last %" JSON_INTEGER_FORMAT " s), %"
	    JSON_INTEGER_FORMAT " in all; blocks in force %"
	    JSON_INTEGER_FORMAT "; store %s, %s\n",
	    json_number_value(json_object_get(refusals, "per_second")),
	    top_int(refusals, "over"), top_int(refusals, "total"),
	    top_int(a, "blocks_total"), backend, health);
	free(node);
	free(backend);
	free(health);
}

/* A section: its title, then the table, or "none". */
static void top_section(const char *title, struct ctl_table *t)
{
	printf("\n%s\n", title);
	if (t->rows > 1)
		ctl_table_print(t, stdout);
	else
		printf("  none\n");
	ctl_table_free(t);
}

static void top_hosts(const json_t *a)
{
	static const char *const header[] = { "HOST", "SESSIONS" };
	const json_t *hosts = json_object_get(a, "hosts");
	struct ctl_table t;
	char n[TOP_TEXT_MAX];

	ctl_table_init(&t, 2, header);
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		const json_t *h = json_array_get(hosts, i);
		const char *row[] = { top_str(h, "host"),
		    top_num(h, "sessions", n) };

		ctl_table_add(&t, row);
	}
	top_section("HOSTS WITH MOST LIVE SESSIONS", &t);
}

static void top_oldest(const json_t *a)
{
	static const char *const header[] = { "HOST", "STAGE", "SINCE", "AGE" };
	const json_t *oldest = json_object_get(a, "oldest");
	struct ctl_table t;
	char since[TOP_TEXT_MAX], age[TOP_TEXT_MAX];

	ctl_table_init(&t, 4, header);
	for (size_t i = 0; i < json_array_size(oldest); i++) {
		const json_t *s = json_array_get(oldest, i);
		const char *row[] = { top_str(s, "host"), top_str(s, "stage"),
		    top_time(s, "since", since), top_num(s, "age", age) };

		ctl_table_add(&t, row);
	}
	top_section("LONGEST-LIVED SESSIONS (AGE IN SECONDS)", &t);
}

static void top_thresholds(const json_t *a)
{
	static const char *const header[] = {
		"DETECTOR", "HOST", "COUNT", "MAX", "WINDOW ENDS", "BLOCKED UNTIL"
	};
	const json_t *list = json_object_get(a, "thresholds");
	struct ctl_table t;
	char count[TOP_TEXT_MAX], max[TOP_TEXT_MAX], ends[TOP_TEXT_MAX];
	char until[TOP_TEXT_MAX];

	ctl_table_init(&t, 6, header);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *d = json_array_get(list, i);
		const json_t *hosts = json_object_get(d, "hosts");

		for (size_t j = 0; j < json_array_size(hosts); j++) {
			const json_t *h = json_array_get(hosts, j);
			const char *row[] = { top_str(d, "detector"),
			    top_str(h, "host"), top_num(h, "count", count),
			    top_num(d, "max", max),
			    top_time(h, "window_ends", ends),
			    top_time(h, "blocked_until", until) };

			ctl_table_add(&t, row);
		}
	}
	top_section("NEAREST THRESHOLDS (HOSTS WITH LIVE SESSIONS)", &t);
}

static void top_blocks(const json_t *a)
{
	static const char *const header[] = {
		"HOST", "DETECTOR", "COUNT", "STARTED", "ENDS", "NODE", "REASON"
	};
	const json_t *blocks = json_object_get(a, "blocks");
	struct ctl_table t;
	char count[TOP_TEXT_MAX], started[TOP_TEXT_MAX], ends[TOP_TEXT_MAX];

	ctl_table_init(&t, 7, header);
	for (size_t i = 0; i < json_array_size(blocks); i++) {
		const json_t *b = json_array_get(blocks, i);
		const char *row[] = { top_str(b, "host"), top_str(b, "detector"),
		    top_num(b, "count", count), top_time(b, "started", started),
		    top_time(b, "ends", ends), top_str(b, "node"),
		    top_str(b, "reason") };

		ctl_table_add(&t, row);
	}
	top_section("BLOCKS STARTED LAST", &t);
}

static void top_frame(const json_t *a, const struct top_options *opt)
{
	const char *error = json_string_value(json_object_get(a,
	    "store_error"));
	char *clean;

	top_title(a, opt);
	if (error != NULL) {
		clean = ctl_clean(error);
		printf("store error: %s\n", clean);
		free(clean);
	}
	top_hosts(a);
	top_oldest(a);
	top_thresholds(a);
	top_blocks(a);
}

/* One request and its frame; an exit status of ctl.h. */
static int top_once(const struct top_options *opt)
{
	char err[1024], *answer;
	json_error_t jerr;
	json_t *doc;
	int rc = ctl_request(opt->path, "top\n", &answer, err, sizeof(err));

	if (rc != CTL_OK) {
		fprintf(stderr, "bulwarkctl: %s\n", err);
		return rc;
	}
	if ((doc = json_loads(answer, 0, &jerr)) == NULL) {
		fprintf(stderr, "bulwarkctl: the daemon's answer is not JSON\n");
		free(answer);
		return CTL_FAILED;
	}
	if (!json_is_true(json_object_get(doc, "ok"))) {
		ctl_render("top", doc);
		rc = ctl_exit_status(doc);
	}
	else if (opt->json)
		fputs(answer, stdout);
	else
		top_frame(doc, opt);
	json_decref(doc);
	free(answer);
	return rc;
}

int ctl_top(const char *config, const char *socket, bool json, bool once,
    unsigned interval)
{
	struct top_options opt = { .json = json, .once = once,
	    .interval = interval };
	bool screen = isatty(STDOUT_FILENO);
	char err[1024], source[256];
	int rc;

	rc = ctl_find_socket(config, socket, opt.path, sizeof(opt.path),
	    source, sizeof(source), err, sizeof(err));
	if (rc != CTL_OK) {
		fprintf(stderr, "bulwarkctl: %s\n", err);
		return rc;
	}
	if (opt.once)
		return top_once(&opt);
	for (;;) {
		if (screen && !opt.json)
			fputs("\033[H\033[2J", stdout);
		top_once(&opt);
		fflush(stdout);
		sleep(opt.interval);
	}
}
