/*
 * ctl_render.c - the daemon's answers for a human.  See ctl.h, and
 * milter/commands.h for what each answer holds.
 *
 * Times are shown in UTC ("2025-11-22T10:00:00Z"), durations as
 * "1d 2h 3m 4s", unknown values as "-".  Every string from the daemon
 * goes through ctl_clean() before it reaches the terminal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define CTL_TEXT_MAX 64

static const char *const ctl_block_header[] = {
	"HOST", "DETECTOR", "COUNT", "STARTED", "ENDS", "SLIDING", "NODE",
	"REASON"
};

static void ctl_kv(const char *key, const char *value)
{
	char *clean = ctl_clean(value != NULL ? value : "-");

	printf("%-14s%s\n", key, clean);
	free(clean);
}

static const char *ctl_yes(bool value)
{
	return value ? "yes" : "no";
}

/* A time member as text; "-" when null or missing. */
static const char *ctl_time(const struct json_value *obj, const char *key,
    char *buf, size_t len)
{
	time_t t = (time_t)json_get_int(obj, key, 0);
	struct tm tm;

	if (t <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

static const char *ctl_duration(int64_t seconds, char *buf, size_t len)
{
	static const struct {
		int64_t size;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		int64_t n = seconds / units[i].size;

		seconds %= units[i].size;
		if (n == 0 && !(units[i].size == 1 && used == 0))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%" PRId64
		    "%c", used > 0 ? " " : "", n, units[i].unit);
		if (used >= len)
			break;
	}
	return buf;
}

/* An integer member as text; "-" when null or missing. */
static const char *ctl_int(const struct json_value *obj, const char *key,
    char *buf, size_t len)
{
	const struct json_value *v = json_get(obj, key);

	if (v == NULL || v->type != JSON_NUMBER || !v->is_integer)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64, v->integer);
	return buf;
}

static const struct json_value *ctl_array(const struct json_value *obj,
    const char *key)
{
	const struct json_value *v = json_get(obj, key);

	return v != NULL && v->type == JSON_ARRAY ? v : NULL;
}

/* status */

static void ctl_counters(const struct json_value *answer)
{
	const struct json_value *counters = ctl_array(answer, "counters");
	static const char *const header[] = { "COUNTER", "VALUE" };
	struct ctl_table t;
	char value[CTL_TEXT_MAX];

	if (counters == NULL || counters->count == 0)
		return;
	ctl_table_init(&t, 2, header);
	for (size_t i = 0; i < counters->count; i++) {
		const char *row[] = {
			json_get_string(&counters->items[i], "name", "?"),
			ctl_int(&counters->items[i], "value", value,
			    sizeof(value)),
		};

		ctl_table_add(&t, row);
	}
	printf("\n");
	ctl_table_print(&t, stdout);
	ctl_table_free(&t);
}

static void ctl_status(const struct json_value *answer)
{
	const struct json_value *store = json_get(answer, "store");
	char text[256], since[CTL_TEXT_MAX], uptime[CTL_TEXT_MAX];

	ctl_kv("version", json_get_string(answer, "version", NULL));
	ctl_kv("pid", ctl_int(answer, "pid", text, sizeof(text)));
	ctl_kv("node", json_get_string(answer, "node", NULL));
	snprintf(text, sizeof(text), "%s (since %s)",
	    ctl_duration(json_get_int(answer, "uptime", 0), uptime,
	    sizeof(uptime)), ctl_time(answer, "started", since, sizeof(since)));
	ctl_kv("uptime", text);
	ctl_kv("config", json_get_string(answer, "config", NULL));
	ctl_kv("monitor only", ctl_yes(json_get_bool(answer, "monitor_only",
	    false)));
	snprintf(text, sizeof(text), "%s, %s",
	    json_get_string(store, "backend", "?"),
	    json_get_string(store, "health", "?"));
	ctl_kv("store", text);
	if (json_get_string(store, "error", NULL) != NULL)
		ctl_kv("store error", json_get_string(store, "error", NULL));
	ctl_counters(answer);
}

/* list, show */

static void ctl_blocks_table(const struct json_value *blocks)
{
	struct ctl_table t;
	char count[CTL_TEXT_MAX], started[CTL_TEXT_MAX], ends[CTL_TEXT_MAX];

	ctl_table_init(&t, 8, ctl_block_header);
	for (size_t i = 0; i < blocks->count; i++) {
		const struct json_value *b = &blocks->items[i];
		const char *row[] = {
			json_get_string(b, "host", "?"),
			json_get_string(b, "detector", "?"),
			ctl_int(b, "count", count, sizeof(count)),
			ctl_time(b, "started", started, sizeof(started)),
			ctl_time(b, "ends", ends, sizeof(ends)),
			ctl_yes(json_get_bool(b, "sliding", false)),
			json_get_string(b, "node", "-"),
			json_get_string(b, "reason", "-"),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_print(&t, stdout);
	ctl_table_free(&t);
}

static void ctl_list(const struct json_value *answer)
{
	const struct json_value *blocks = ctl_array(answer, "blocks");

	if (blocks == NULL || blocks->count == 0) {
		printf("no blocks in force\n");
		return;
	}
	ctl_blocks_table(blocks);
	if (json_get_bool(answer, "truncated", false))
		fprintf(stderr, "bulwarkctl: %zu of %" PRId64 " blocks shown\n",
		    blocks->count, json_get_int(answer, "total", 0));
}

static void ctl_detectors(const struct json_value *detectors)
{
	static const char *const header[] = {
		"DETECTOR", "ENABLED", "COUNT", "MAX", "PERIOD", "WINDOW ENDS",
		"BLOCKED UNTIL", "SLIDING"
	};
	struct ctl_table t;
	char count[CTL_TEXT_MAX], max[CTL_TEXT_MAX], period[CTL_TEXT_MAX];
	char window[CTL_TEXT_MAX], until[CTL_TEXT_MAX];

	ctl_table_init(&t, 8, header);
	for (size_t i = 0; i < detectors->count; i++) {
		const struct json_value *d = &detectors->items[i];
		const char *row[] = {
			json_get_string(d, "detector", "?"),
			ctl_yes(json_get_bool(d, "enabled", false)),
			ctl_int(d, "count", count, sizeof(count)),
			ctl_int(d, "max", max, sizeof(max)),
			json_get(d, "period") != NULL &&
			    json_get(d, "period")->type == JSON_NUMBER ?
			    ctl_duration(json_get_int(d, "period", 0), period,
			    sizeof(period)) : "-",
			ctl_time(d, "window_ends", window, sizeof(window)),
			ctl_time(d, "block_until", until, sizeof(until)),
			ctl_yes(json_get_bool(d, "sliding", false)),
		};

		ctl_table_add(&t, row);
	}
	printf("\n");
	ctl_table_print(&t, stdout);
	ctl_table_free(&t);
}

static void ctl_show(const struct json_value *answer)
{
	const struct json_value *detectors = ctl_array(answer, "detectors");
	const struct json_value *blocks = ctl_array(answer, "blocks");

	ctl_kv("address", json_get_string(answer, "address", NULL));
	ctl_kv("host", json_get_string(answer, "host", NULL));
	ctl_kv("status", json_get_string(answer, "status", NULL));
	ctl_kv("why", json_get_string(answer, "why", NULL));
	ctl_kv("excluded", ctl_yes(json_get_bool(answer, "excluded", false)));
	ctl_kv("blocked list", ctl_yes(json_get_bool(answer, "blocked_list",
	    false)));
	if (detectors != NULL)
		ctl_detectors(detectors);
	if (blocks != NULL && blocks->count > 0) {
		printf("\n");
		ctl_blocks_table(blocks);
	}
}

/* block, unblock, reload, metrics */

static void ctl_block(const struct json_value *answer)
{
	const char *reason = json_get_string(answer, "reason", "");
	const char *warning = json_get_string(answer, "warning", NULL);
	char until[CTL_TEXT_MAX], duration[CTL_TEXT_MAX];
	char *host = ctl_clean(json_get_string(answer, "host", "?"));
	char *clean;

	printf("blocked %s until %s (%s)\n", host,
	    ctl_time(answer, "until", until, sizeof(until)),
	    ctl_duration(json_get_int(answer, "duration", 0), duration,
	    sizeof(duration)));
	if (reason[0] != '\0')
		ctl_kv("reason", reason);
	if (warning != NULL) {
		clean = ctl_clean(warning);
		fprintf(stderr, "bulwarkctl: warning: %s\n", clean);
		free(clean);
	}
	free(host);
}

static void ctl_unblock(const struct json_value *answer)
{
	char *host = ctl_clean(json_get_string(answer, "host", "?"));

	if (json_get_bool(answer, "was_blocked", false))
		printf("unblocked %s\n", host);
	else
		printf("%s was not blocked (its counts are reset)\n", host);
	free(host);
}

static void ctl_reload(const struct json_value *answer)
{
	char *config = ctl_clean(json_get_string(answer, "config", "?"));

	printf("reloaded %s\n", config);
	free(config);
}

static void ctl_metrics(const struct json_value *answer)
{
	fputs(json_get_string(answer, "metrics", ""), stdout);
}

int ctl_render(const char *command, const struct json_value *answer)
{
	static const struct {
		const char *name;
		void (*render)(const struct json_value *answer);
	} renders[] = {
		{ "status", ctl_status }, { "list", ctl_list },
		{ "show", ctl_show }, { "block", ctl_block },
		{ "unblock", ctl_unblock }, { "reload", ctl_reload },
		{ "metrics", ctl_metrics },
	};
	char *error;

	if (!json_get_bool(answer, "ok", false)) {
		error = ctl_clean(json_get_string(answer, "error",
		    "the daemon gave no reason"));
		fprintf(stderr, "bulwarkctl: %s: %s\n", command, error);
		free(error);
		return CTL_FAILED;
	}
	for (size_t i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
		if (strcmp(renders[i].name, command) == 0)
			renders[i].render(answer);
	}
	return CTL_OK;
}
