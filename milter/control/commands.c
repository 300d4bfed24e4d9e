/*
 * commands.c - see commands.h.  The dispatch, the shared helpers, and
 * the commands that act on the daemon or one host: status, block,
 * unblock, reload, metrics.  list and show are in commands_view.c.
 *
 * Client-given text (addresses, reasons) only reaches the log through
 * escape() and the answer through control_json_text().  Blocks by hand
 * go through the store, so with the Redis store every node of the array
 * enforces them.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "commands_impl.h"
#include "control.h"
#include "duration.h"
#include "escape.h"
#include "firewall.h"
#include "firewall_stats.h"
#include "hostlist.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "metrics_json.h"
#include "metrics_text.h"
#include "xalloc.h"

struct command {
	const char *name;
	int min_args;
	int max_args;
	int (*run)(struct command_ctx *c);
};

int commands_fail(struct command_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

int commands_host(struct command_ctx *c, const char *text,
    struct host_addr *addr, struct host_key *key, char *key_text)
{
	if (addr_parse(text, addr) < 0)
		return commands_fail(c, "\"%.64s\" is not an IPv4 or IPv6 "
		    "address", text);
	addr_key(addr, c->cfg->ipv4_prefix, c->cfg->ipv6_prefix, key);
	host_key_format(key, key_text, ADDR_TEXT_MAX);
	return 0;
}

void commands_members(struct command_ctx *c, json_t *members)
{
	json_object_update_new(c->answer, members);
}

/* status */

/* A lookup is the cheapest call that needs the backend to answer. */
static json_t *commands_store_health(struct command_ctx *c)
{
	struct store *store = c->rt->store;
	struct host_key probe = { .family = 4 };
	struct store_host host;
	bool answers = store_lookup(store, &probe, &host) == 0;

	return json_pack("{s:o, s:s, s:o}",
	    "backend", control_json_text(store->ops->name),
	    "health", store_degraded(store) ? "degraded" : answers ? "ok" :
	    "failing",
	    "error", control_json_text(answers ? NULL : store_error(store)));
}

/* The counters and gauges of the metrics; histograms are left out. */
static json_t *commands_counters(struct command_ctx *c)
{
	struct metrics_table table;
	json_t *counters;

	metrics_table_build(&table, c->rt->store, c->now);
	counters = metrics_json(&table);
	metrics_table_free(&table);
	return counters;
}

/* The firewall's state and what it did. */
static json_t *commands_firewall(struct command_ctx *c)
{
	struct firewall_stats st;

	firewall_stats_read(&st);
	return json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "state", firewall_state_name(st.state),
	    "table", control_json_text(c->cfg->firewall.enabled ?
	    c->cfg->firewall.table : NULL),
	    "elements", (json_int_t)st.elements,
	    "pushed", (json_int_t)st.counters[FIREWALL_PUSHED],
	    "removed", (json_int_t)st.counters[FIREWALL_REMOVED],
	    "errors", (json_int_t)st.counters[FIREWALL_ERRORS],
	    "skipped", (json_int_t)st.counters[FIREWALL_SKIPPED],
	    "dropped", (json_int_t)st.counters[FIREWALL_DROPPED]);
}

static int commands_status(struct command_ctx *c)
{
	commands_members(c, json_pack("{s:s, s:I, s:o, s:I, s:I, s:o, s:b, "
	    "s:o, s:o, s:o}",
	    "version", BULWARK_VERSION,
	    "pid", (json_int_t)getpid(),
	    "node", control_json_text(c->rt->node),
	    "started", (json_int_t)c->rt->started,
	    "uptime", (json_int_t)(c->now - c->rt->started),
	    "config", control_json_text(c->rt->config_path),
	    "monitor_only", c->cfg->monitor_only,
	    "store", commands_store_health(c),
	    "firewall", commands_firewall(c),
	    "counters", commands_counters(c)));
	return 0;
}

/* block, unblock */

static int commands_block_args(struct command_ctx *c, unsigned *seconds,
    const char **reason)
{
	*reason = c->argc > 2 ? c->argv[2] : "";
	if (duration_parse(c->argv[1], seconds) < 0 || *seconds == 0)
		return commands_fail(c, "\"%.64s\" is not a duration from 1 s "
		    "to 366 days (such as 3600, \"90m\", \"2d\")", c->argv[1]);
	if (strlen(*reason) >= STORE_NOTE_REASON_MAX)
		return commands_fail(c, "the reason is longer than %d bytes",
		    STORE_NOTE_REASON_MAX - 1);
	return 0;
}

static void commands_log_block(const struct command_ctx *c,
    const char *key_text, int64_t until, unsigned seconds,
    const char *reason)
{
	char quoted[ESCAPE_SIZE(STORE_NOTE_REASON_MAX)];
	char until_text[ISOTIME_MAX];

	escape(reason, ESCAPE_QUOTED, quoted, sizeof(quoted));
	isotime_format(until, until_text, sizeof(until_text));
	log_notice("event=manual-block host=%s until=%s duration=%u "
	    "reason=\"%s\" uid=%ld", key_text, until_text, seconds, quoted,
	    (long)c->peer);
}

static void commands_note(struct command_ctx *c, const struct host_key *key,
    const char *reason, int64_t until)
{
	struct store_note note = { .set_at = c->now };

	snprintf(note.node, sizeof(note.node), "%s", c->rt->node);
	snprintf(note.reason, sizeof(note.reason), "%s", reason);
	if (store_set_note(c->rt->store, key, &note, until, c->now) < 0)
		log_warning("event=store-error store=%s reason=\"note: %s\"",
		    c->rt->store->ops->name, store_error(c->rt->store));
}

static int commands_block_host(struct command_ctx *c)
{
	struct host_addr addr;
	struct host_key key;
	char key_text[ADDR_TEXT_MAX];
	const char *reason;
	unsigned seconds;
	int64_t until;
	bool excluded;

	if (commands_host(c, c->argv[0], &addr, &key, key_text) < 0 ||
	    commands_block_args(c, &seconds, &reason) < 0)
		return -1;
	until = c->now + seconds;
	if (store_block(c->rt->store, &key, DETECTOR_MANUAL, until, c->now) < 0)
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	commands_note(c, &key, reason, until);
	firewall_add(&key, DETECTOR_MANUAL, until);
	metrics_block_started(DETECTOR_MANUAL);
	commands_log_block(c, key_text, until, seconds, reason);
	excluded = hostlist_match(c->cfg->exclude, &addr) &&
	    !hostlist_match(c->cfg->blocked, &addr);
	commands_members(c, json_pack("{s:o, s:I, s:I, s:o, s:b, s:o}",
	    "host", control_json_text(key_text),
	    "until", (json_int_t)until,
	    "duration", (json_int_t)seconds,
	    "reason", control_json_text(reason),
	    "excluded", excluded,
	    "warning", control_json_text(excluded ? "the address is on the "
	    "exclude list: the block is not enforced while it is" : NULL)));
	return 0;
}

static bool commands_blocked(const struct store_host *host, int64_t now)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (rule_blocked(&host->state[d], now))
			return true;
	}
	return false;
}

static int commands_unblock(struct command_ctx *c)
{
	struct host_addr addr;
	struct host_key key;
	struct store_host host;
	char key_text[ADDR_TEXT_MAX];
	bool was_blocked;

	if (commands_host(c, c->argv[0], &addr, &key, key_text) < 0)
		return -1;
	if (store_lookup(c->rt->store, &key, &host) < 0 ||
	    store_unblock(c->rt->store, &key) < 0)
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	was_blocked = commands_blocked(&host, c->now);
	firewall_remove(&key);
	log_notice("event=manual-unblock host=%s was_blocked=%s uid=%ld",
	    key_text, was_blocked ? "yes" : "no", (long)c->peer);
	commands_members(c, json_pack("{s:o, s:b}",
	    "host", control_json_text(key_text),
	    "was_blocked", was_blocked));
	return 0;
}

/* reload, metrics */

static int commands_reload(struct command_ctx *c)
{
	char err[CONFIG_ERROR_MAX];

	if (runtime_reload(c->rt, "control", err, sizeof(err)) < 0)
		return commands_fail(c, "%s", err);
	commands_members(c, json_pack("{s:o}",
	    "config", control_json_text(c->rt->config_path)));
	return 0;
}

static int commands_metrics(struct command_ctx *c)
{
	char *text = metrics_render(c->rt->store, c->now);

	commands_members(c, json_pack("{s:o}",
	    "metrics", control_json_text(text)));
	free(text);
	return 0;
}

/* Dispatch. */

static const struct command commands_table[] = {
	{ "status", 0, 0, commands_status },
	{ "list", 0, 1, commands_list },
	{ "show", 1, 1, commands_show },
	{ "block", 2, 3, commands_block_host },
	{ "unblock", 1, 1, commands_unblock },
	{ "reload", 0, 0, commands_reload },
	{ "metrics", 0, 0, commands_metrics },
};

static const struct command *commands_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands_table) /
	    sizeof(commands_table[0]); i++) {
		if (strcmp(commands_table[i].name, name) == 0)
			return &commands_table[i];
	}
	return NULL;
}

/*
 * Split args into at most max fields at single spaces; the last field
 * keeps the rest of the line.  Returns the number of fields.
 */
static int commands_split(char *args, char **argv, int max)
{
	int argc = 0;

	while (args != NULL && argc < max) {
		argv[argc++] = args;
		if (argc < max && (args = strchr(args, ' ')) != NULL)
			*args++ = '\0';
	}
	return argc;
}

/* Fill c's arguments for cmd from args (NULL: none). */
static int commands_args(struct command_ctx *c, const struct command *cmd,
    char *args)
{
	bool rest = cmd->max_args == COMMANDS_ARGS_MAX;

	c->argc = commands_split(args, c->argv, cmd->max_args);
	if (c->argc < cmd->min_args)
		return commands_fail(c, "%s: missing argument", cmd->name);
	if (args != NULL && (cmd->max_args == 0 || (!rest &&
	    strchr(c->argv[c->argc - 1], ' ') != NULL)))
		return commands_fail(c, "%s: too many arguments", cmd->name);
	return 0;
}

/*
 * The answer as one line.  jansson allocates through xmalloc, so that it
 * cannot return NULL.
 */
static char *commands_answer(json_t *answer)
{
	char *doc = json_dumps(answer, JSON_COMPACT), *line;
	size_t len = strlen(doc);

	json_decref(answer);
	line = xrealloc(doc, len + 2, 1);
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

static void commands_use_xalloc(void)
{
	json_set_alloc_funcs(xmalloc, free);
}

static char *commands_error(const char *command, const char *why)
{
	json_t *answer = json_pack("{s:b}", "ok", false);

	if (command != NULL)
		json_object_set_new(answer, "command", json_string(command));
	json_object_set_new(answer, "error", control_json_text(why));
	return commands_answer(answer);
}

char *commands_refuse(const char *why)
{
	return commands_error(NULL, why);
}

static char *commands_execute(struct command_ctx *c, const struct command *cmd,
    char *args)
{
	if (commands_args(c, cmd, args) < 0)
		return commands_error(cmd->name, c->err);
	c->answer = json_pack("{s:b, s:s}", "ok", true, "command", cmd->name);
	if (cmd->run(c) < 0) {
		json_decref(c->answer);
		return commands_error(cmd->name, c->err);
	}
	return commands_answer(c->answer);
}

char *commands_run(struct runtime *rt, const char *line, uid_t peer)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	char request[CONTROL_LINE_MAX + 1], *args;
	struct command_ctx c = { .rt = rt, .peer = peer };
	const struct command *cmd;
	char *answer;

	pthread_once(&once, commands_use_xalloc);
	snprintf(request, sizeof(request), "%s", line);
	if ((args = strchr(request, ' ')) != NULL)
		*args++ = '\0';
	if ((cmd = commands_find(request)) == NULL)
		return commands_refuse("unknown command (expected status, list, "
		    "show, block, unblock, reload or metrics)");
	c.now = (int64_t)time(NULL);
	c.cfg = policy_config(rt->policy);
	answer = commands_execute(&c, cmd, args);
	config_unref(c.cfg);
	return answer;
}
