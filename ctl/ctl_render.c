/*
 * ctl_render.c - the daemon's answers for a human.  See ctl.h, and
 * milter/commands.h for what each answer holds.
 *
 * Times are shown in UTC ("2025-11-22T10:00:00Z"), durations as
 * "1d 2h 3m 4s", unknown values as "-".  Every string from the daemon
 * goes through ctl_clean() before it reaches the terminal.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "isotime.h"

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

/*
 * key and a long value as one paragraph: words wrapped before column 78,
 * continued under the value's first column.
 */
static void ctl_paragraph(const char *key, const char *value)
{
	char *clean = ctl_clean(value != NULL ? value : "-");
	size_t col = 14;

	printf("%-14s", key);
	for (char *word = strtok(clean, " "); word != NULL;
	    word = strtok(NULL, " ")) {
		size_t n = strlen(word);

		if (col > 14 && col + 1 + n > 78) {
			printf("\n%14s", "");
			col = 14;
		} else if (col > 14) {
			putchar(' ');
			col++;
		}
		fputs(word, stdout);
		col += n;
	}
	putchar('\n');
	free(clean);
}

static const char *ctl_yes(bool value)
{
	return value ? "yes" : "no";
}

/* Members: their value, or def when missing or of another type. */
static const char *ctl_str(const json_t *obj, const char *key,
    const char *def)
{
	const char *value = json_string_value(json_object_get(obj, key));

	return value != NULL ? value : def;
}

/* The string at index i of an array; "?" when it is something else. */
static const char *ctl_item(const json_t *array, size_t i)
{
	const char *value = json_string_value(json_array_get(array, i));

	return value != NULL ? value : "?";
}

static int64_t ctl_integer(const json_t *obj, const char *key, int64_t def)
{
	const json_t *value = json_object_get(obj, key);

	return json_is_integer(value) ? json_integer_value(value) : def;
}

static bool ctl_bool(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

/* A time member as text; "-" when null or missing. */
static const char *ctl_time(const json_t *obj, const char *key, char *buf,
    size_t len)
{
	int64_t t = ctl_integer(obj, key, 0);

	if (t <= 0)
		snprintf(buf, len, "-");
	else
		isotime_format(t, buf, len);
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
static const char *ctl_int(const json_t *obj, const char *key, char *buf,
    size_t len)
{
	const json_t *value = json_object_get(obj, key);

	if (!json_is_integer(value))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(value));
	return buf;
}

/* An array member, or NULL when missing or empty. */
static const json_t *ctl_array(const json_t *obj, const char *key)
{
	const json_t *value = json_object_get(obj, key);

	return json_array_size(value) > 0 ? value : NULL;
}

/* Print the table, after a blank line when gap, and free it. */
static void ctl_table_show(struct ctl_table *t, bool gap)
{
	if (gap)
		printf("\n");
	ctl_table_print(t, stdout);
	ctl_table_free(t);
}

/* status */

static void ctl_counters(const json_t *answer)
{
	const json_t *counters = ctl_array(answer, "counters");
	static const char *const header[] = { "COUNTER", "VALUE" };
	struct ctl_table t;
	char value[CTL_TEXT_MAX];

	if (counters == NULL)
		return;
	ctl_table_init(&t, 2, header);
	for (size_t i = 0; i < json_array_size(counters); i++) {
		const json_t *counter = json_array_get(counters, i);
		const char *row[] = {
			ctl_str(counter, "name", "?"),
			ctl_int(counter, "value", value, sizeof(value)),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_show(&t, true);
}

/* When an MTA last connected ("never" says its setting is worth a look). */
static void ctl_mta(const json_t *mta)
{
	char text[CTL_TEXT_MAX];

	if (mta == NULL)
		return;
	if (ctl_integer(mta, "last_connect", 0) > 0)
		ctl_kv("mta connected", ctl_time(mta, "last_connect", text,
		    sizeof(text)));
	else
		ctl_kv("mta connected", "never (check the MTA's milter "
		    "setting)");
	ctl_kv("sessions", ctl_int(mta, "sessions", text, sizeof(text)));
}

static void ctl_status(const json_t *answer)
{
	const json_t *store = json_object_get(answer, "store");
	const json_t *firewall = json_object_get(answer, "firewall");
	char text[256], since[CTL_TEXT_MAX], uptime[CTL_TEXT_MAX];

	ctl_kv("version", ctl_str(answer, "version", NULL));
	ctl_kv("pid", ctl_int(answer, "pid", text, sizeof(text)));
	ctl_kv("node", ctl_str(answer, "node", NULL));
	snprintf(text, sizeof(text), "%s (since %s)",
	    ctl_duration(ctl_integer(answer, "uptime", 0), uptime,
	    sizeof(uptime)), ctl_time(answer, "started", since, sizeof(since)));
	ctl_kv("uptime", text);
	ctl_kv("config", ctl_str(answer, "config", NULL));
	ctl_kv("monitor only", ctl_yes(ctl_bool(answer, "monitor_only")));
	snprintf(text, sizeof(text), "%s, %s",
	    ctl_str(store, "backend", "?"),
	    ctl_str(store, "health", "?"));
	ctl_kv("store", text);
	if (ctl_str(store, "error", NULL) != NULL)
		ctl_kv("store error", ctl_str(store, "error", NULL));
	if (firewall != NULL) {
		snprintf(text, sizeof(text), "%s, %s elements",
		    ctl_str(firewall, "state", "?"),
		    ctl_int(firewall, "elements", uptime, sizeof(uptime)));
		ctl_kv("firewall", text);
	}
	ctl_mta(json_object_get(answer, "mta"));
	ctl_counters(answer);
}

/* list, show */

static void ctl_blocks_table(const json_t *blocks)
{
	struct ctl_table t;
	char count[CTL_TEXT_MAX], started[CTL_TEXT_MAX], ends[CTL_TEXT_MAX];

	ctl_table_init(&t, 8, ctl_block_header);
	for (size_t i = 0; i < json_array_size(blocks); i++) {
		const json_t *b = json_array_get(blocks, i);
		const char *row[] = {
			ctl_str(b, "host", "?"),
			ctl_str(b, "detector", "?"),
			ctl_int(b, "count", count, sizeof(count)),
			ctl_time(b, "started", started, sizeof(started)),
			ctl_time(b, "ends", ends, sizeof(ends)),
			ctl_yes(ctl_bool(b, "sliding")),
			ctl_str(b, "node", "-"),
			ctl_str(b, "reason", "-"),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_show(&t, false);
}

static void ctl_list(const json_t *answer)
{
	const json_t *blocks = ctl_array(answer, "blocks");

	if (blocks == NULL) {
		printf("no blocks in force\n");
		return;
	}
	ctl_blocks_table(blocks);
	if (ctl_bool(answer, "truncated"))
		fprintf(stderr, "bulwarkctl: %zu of %" PRId64 " blocks shown\n",
		    json_array_size(blocks), ctl_integer(answer, "total", 0));
}

static void ctl_detectors(const json_t *detectors)
{
	static const char *const header[] = {
		"DETECTOR", "ENABLED", "COUNT", "MAX", "PERIOD", "WINDOW ENDS",
		"BLOCKED UNTIL", "SLIDING"
	};
	struct ctl_table t;
	char count[CTL_TEXT_MAX], max[CTL_TEXT_MAX], period[CTL_TEXT_MAX];
	char window[CTL_TEXT_MAX], until[CTL_TEXT_MAX];

	ctl_table_init(&t, 8, header);
	for (size_t i = 0; i < json_array_size(detectors); i++) {
		const json_t *d = json_array_get(detectors, i);
		const char *row[] = {
			ctl_str(d, "detector", "?"),
			ctl_yes(ctl_bool(d, "enabled")),
			ctl_int(d, "count", count, sizeof(count)),
			ctl_int(d, "max", max, sizeof(max)),
			json_is_integer(json_object_get(d, "period")) ?
			    ctl_duration(ctl_integer(d, "period", 0), period,
			    sizeof(period)) : "-",
			ctl_time(d, "window_ends", window, sizeof(window)),
			ctl_time(d, "block_until", until, sizeof(until)),
			ctl_yes(ctl_bool(d, "sliding")),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_show(&t, true);
}

/* What the attack row alone cannot say: it flags, and maybe blocks. */
static void ctl_attack_note(const json_t *detectors)
{
	const json_t *a = NULL;
	char text[256];

	for (size_t i = 0; i < json_array_size(detectors); i++) {
		if (strcmp(ctl_str(json_array_get(detectors, i), "detector",
		    ""), "attack") == 0)
			a = json_array_get(detectors, i);
	}
	if (a == NULL || !ctl_bool(a, "enabled"))
		return;
	snprintf(text, sizeof(text), "attack: a connection with more than %"
	    PRId64 " unexpected commands is flagged (action %s); %s",
	    ctl_integer(a, "max_commands", 0), ctl_str(a, "flag_action", "?"),
	    ctl_bool(a, "blocks") ? "more than MAX flagged connections "
	    "within PERIOD block the host" : "hosts are never blocked for it "
	    "(attack.max_flagged = 0)");
	printf("\n");
	ctl_kv("note", text);
}

/* A host's networks, on one line. */
static void ctl_networks(const json_t *networks)
{
	char text[256] = "";
	size_t used = 0;

	if (networks == NULL)
		return;
	for (size_t i = 0; i < json_array_size(networks) &&
	    used < sizeof(text); i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%s%s", i > 0 ? ", " : "", ctl_item(networks, i));
	ctl_kv("networks", text);
}

static void ctl_show(const json_t *answer)
{
	const json_t *detectors = ctl_array(answer, "detectors");
	const json_t *blocks = ctl_array(answer, "blocks");

	ctl_kv("address", ctl_str(answer, "address", NULL));
	ctl_kv(ctl_bool(answer, "network") ? "network" : "host",
	    ctl_str(answer, "host", NULL));
	ctl_networks(ctl_array(answer, "networks"));
	ctl_kv("status", ctl_str(answer, "status", NULL));
	ctl_paragraph("why", ctl_str(answer, "why", NULL));
	ctl_kv("excluded", ctl_yes(ctl_bool(answer, "excluded")));
	ctl_kv("blocked list", ctl_yes(ctl_bool(answer, "blocked_list")));
	if (detectors != NULL) {
		ctl_detectors(detectors);
		ctl_attack_note(detectors);
	}
	if (blocks != NULL) {
		printf("\n");
		ctl_blocks_table(blocks);
	}
}

/* block, unblock, reload, metrics */

static void ctl_warning(const json_t *answer)
{
	const char *warning = ctl_str(answer, "warning", NULL);
	char *clean;

	if (warning != NULL) {
		clean = ctl_clean(warning);
		fprintf(stderr, "bulwarkctl: warning: %s\n", clean);
		free(clean);
	}
}

static void ctl_block(const json_t *answer)
{
	const char *reason = ctl_str(answer, "reason", "");
	char until[CTL_TEXT_MAX], duration[CTL_TEXT_MAX];
	char *host = ctl_clean(ctl_str(answer, "host", "?"));
	int64_t hosts = ctl_integer(answer, "hosts", 1);

	printf("blocked %s", host);
	if (hosts > 1)
		printf(" (%" PRId64 " hosts)", hosts);
	printf(" until %s (%s)\n",
	    ctl_time(answer, "until", until, sizeof(until)),
	    ctl_duration(ctl_integer(answer, "duration", 0), duration,
	    sizeof(duration)));
	if (reason[0] != '\0')
		ctl_kv("reason", reason);
	ctl_warning(answer);
	free(host);
}

static void ctl_unblock_many(const json_t *answer)
{
	const json_t *hosts = json_object_get(answer, "hosts");
	const char *host = ctl_str(answer, "host", NULL);
	const char *detector = ctl_str(answer, "detector", NULL);
	int64_t n = ctl_integer(answer, "unblocked", 0);
	char *clean;

	printf("unblocked %" PRId64 " host%s", n, n == 1 ? "" : "s");
	if (detector != NULL)
		printf(" blocked by %s", detector);
	clean = ctl_clean(host != NULL ? host : "");
	printf("%s%s\n", host != NULL ? " in " : "", clean);
	free(clean);
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		clean = ctl_clean(ctl_item(hosts, i));
		printf("  %s\n", clean);
		free(clean);
	}
	if (n > (int64_t)json_array_size(hosts))
		printf("  (and %" PRId64 " more)\n",
		    n - (int64_t)json_array_size(hosts));
}

static void ctl_unblock(const json_t *answer)
{
	char *host;

	if (strcmp(ctl_str(answer, "scope", "host"), "host") != 0) {
		ctl_unblock_many(answer);
		return;
	}
	host = ctl_clean(ctl_str(answer, "host", "?"));
	if (ctl_bool(answer, "was_blocked"))
		printf("unblocked %s\n", host);
	else
		printf("%s was not blocked (its counts are reset)\n", host);
	free(host);
}

/* The keys a reload kept for the next start. */
static void ctl_restart_needed(const json_t *answer)
{
	const json_t *keys = ctl_array(answer, "restart_needed");
	char text[512] = "";
	size_t used = 0;
	char *clean;

	if (keys == NULL)
		return;
	for (size_t i = 0; i < json_array_size(keys) && used < sizeof(text);
	    i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%s%s", i > 0 ? ", " : "", ctl_item(keys, i));
	clean = ctl_clean(text);
	printf("restart needed for %s: the new values take effect at the "
	    "next start, the running ones stay until then\n", clean);
	free(clean);
}

static void ctl_reload(const json_t *answer)
{
	char *config = ctl_clean(ctl_str(answer, "config", "?"));

	printf("reloaded %s\n", config);
	free(config);
	ctl_restart_needed(answer);
}

static void ctl_exclude(const json_t *answer)
{
	const json_t *entries = json_object_get(answer, "entries");
	char *file = ctl_clean(ctl_str(answer, "file", "?"));
	char *entry;

	if (entries != NULL) {
		printf("%s (%zu entr%s; the exclude key of the configuration "
		    "adds its own):\n", file, json_array_size(entries),
		    json_array_size(entries) == 1 ? "y" : "ies");
		for (size_t i = 0; i < json_array_size(entries); i++) {
			entry = ctl_clean(ctl_item(entries, i));
			printf("  %s\n", entry);
			free(entry);
		}
		free(file);
		return;
	}
	entry = ctl_clean(ctl_str(answer, "entry", "?"));
	if (!ctl_bool(answer, "changed"))
		printf("%s is already in %s\n", entry, file);
	else if (strcmp(ctl_str(answer, "action", ""), "add") == 0)
		printf("added %s to %s; reloaded\n", entry, file);
	else
		printf("removed %s from %s; reloaded\n", entry, file);
	free(entry);
	free(file);
	ctl_warning(answer);
	ctl_restart_needed(answer);
}

static void ctl_metrics(const json_t *answer)
{
	fputs(ctl_str(answer, "metrics", ""), stdout);
}

void ctl_render(const char *command, const json_t *answer)
{
	static const struct {
		const char *name;
		void (*render)(const json_t *answer);
	} renders[] = {
		{ "status", ctl_status }, { "list", ctl_list },
		{ "show", ctl_show }, { "block", ctl_block },
		{ "unblock", ctl_unblock }, { "exclude", ctl_exclude },
		{ "reload", ctl_reload }, { "metrics", ctl_metrics },
	};
	char *error;

	if (!ctl_bool(answer, "ok")) {
		error = ctl_clean(ctl_str(answer, "error",
		    "the daemon gave no reason"));
		fprintf(stderr, "bulwarkctl: %s: %s\n", command, error);
		if (strcmp(command, "reload") == 0)
			fprintf(stderr, "bulwarkctl: the running configuration "
			    "stays in force\n");
		free(error);
		return;
	}
	for (size_t i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
		if (strcmp(renders[i].name, command) == 0)
			renders[i].render(answer);
	}
}

int ctl_exit_status(const json_t *answer)
{
	if (!ctl_bool(answer, "ok"))
		return CTL_FAILED;
	return ctl_array(answer, "restart_needed") != NULL ? CTL_RESTART :
	    CTL_OK;
}
