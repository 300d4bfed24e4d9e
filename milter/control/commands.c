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
#include "sessions.h"
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

void commands_members(struct command_ctx *c, json_t *members)
{
	json_object_update_new(c->answer, members);
}

/* status */

/* A lookup is the cheapest call that needs the backend to answer. */
json_t *commands_store_health(struct command_ctx *c)
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

/* When an MTA last connected (null: never) and the live SMTP sessions. */
static json_t *commands_mta(struct command_ctx *c)
{
	struct sessions_stats stats;
	int64_t last = runtime_mta_last();

	sessions_stats(policy_sessions(c->rt->policy), &stats);
	return json_pack("{s:o, s:I}",
	    "last_connect", last > 0 ? json_integer(last) : json_null(),
	    "sessions", (json_int_t)stats.live);
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
	    "s:o, s:o, s:o, s:o}",
	    "version", BULWARK_VERSION,
	    "pid", (json_int_t)getpid(),
	    "node", control_json_text(c->rt->node),
	    "started", (json_int_t)c->rt->started,
	    "uptime", (json_int_t)(c->now - c->rt->started),
	    "config", control_json_text(c->rt->config_path),
	    "monitor_only", c->cfg->monitor_only,
	    "store", commands_store_health(c),
	    "firewall", commands_firewall(c),
	    "mta", commands_mta(c),
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
	    "reason=\"%s\" uid=%ld node=%s", key_text, until_text, seconds,
	    quoted, (long)c->peer, c->rt->node);
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

/* Block one host key; -1 with c->err when the store failed. */
static int commands_block_key(struct command_ctx *c,
    const struct host_key *key, int64_t until, unsigned seconds,
    const char *reason)
{
	char key_text[ADDR_TEXT_MAX];

	if (store_block(c->rt->store, key, DETECTOR_MANUAL, until, c->now) < 0)
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	commands_note(c, key, reason, until);
	firewall_add(key, DETECTOR_MANUAL, until);
	metrics_block_started(DETECTOR_MANUAL, 0, false);
	host_key_format(key, key_text, sizeof(key_text));
	commands_log_block(c, key_text, until, seconds, reason);
	return 0;
}

/* Whether the first address of key is excluded (and not listed). */
static bool commands_key_excluded(const struct command_ctx *c,
    const struct host_key *key)
{
	struct host_addr addr = { .family = key->family };

	memcpy(addr.bytes, key->bytes, sizeof(addr.bytes));
	return hostlist_match(c->cfg->exclude, &addr) &&
	    !hostlist_match(c->cfg->blocked, &addr);
}

/*
 * A prefix wider than one host is blocked host key by host key, so that
 * each block is an ordinary one (listed, shown, lifted alone); past
 * COMMANDS_PREFIX_HOSTS_MAX keys that would flood the store, and the
 * blocked list (which holds prefixes) is the tool.
 */
static int commands_block_host(struct command_ctx *c)
{
	struct command_target t;
	struct host_key key;
	const char *reason;
	unsigned seconds;
	size_t hosts, excluded = 0;
	int64_t until;

	if (commands_target(c, c->argv[0], &t) < 0 ||
	    commands_block_args(c, &seconds, &reason) < 0)
		return -1;
	hosts = commands_target_hosts(&t);
	if (hosts == 0 || hosts > COMMANDS_PREFIX_HOSTS_MAX)
		return commands_fail(c, "%s holds more than %d hosts (%s_prefix "
		    "= %u), the most a block by hand covers: list it in blocked "
		    "or blocked_file and reload", t.text,
		    COMMANDS_PREFIX_HOSTS_MAX, t.addr.family == 4 ? "ipv4" :
		    "ipv6", t.host_prefix);
	until = c->now + seconds;
	for (size_t i = 0; i < hosts; i++) {
		commands_target_key(&t, i, &key);
		if (commands_block_key(c, &key, until, seconds, reason) < 0)
			return -1;
		if (t.one_host ? hostlist_match(c->cfg->exclude, &t.addr) &&
		    !hostlist_match(c->cfg->blocked, &t.addr) :
		    commands_key_excluded(c, &key))
			excluded++;
	}
	commands_members(c, json_pack("{s:o, s:I, s:I, s:I, s:o, s:b, s:o}",
	    "host", control_json_text(t.one_host ? t.key_text : t.text),
	    "hosts", (json_int_t)hosts,
	    "until", (json_int_t)until,
	    "duration", (json_int_t)seconds,
	    "reason", control_json_text(reason),
	    "excluded", excluded > 0,
	    "warning", control_json_text(excluded == 0 ? NULL : t.one_host ?
	    "the address is on the exclude list: the block is not enforced "
	    "while it is" : "some of its hosts are on the exclude list: their "
	    "blocks are not enforced while they are")));
	return 0;
}

/* unblock of a prefix wider than one host, or --all [DETECTOR]. */
static int commands_unblock_many(struct command_ctx *c,
    const struct command_target *t, int only)
{
	char key_text[ADDR_TEXT_MAX];
	struct host_key *keys;
	size_t count, done;
	json_t *hosts = json_array();

	if (commands_target_blocked(c, t, only, &keys, &count) < 0) {
		json_decref(hosts);
		return -1;
	}
	for (done = 0; done < count; done++) {
		if (store_unblock(c->rt->store, &keys[done]) < 0)
			break;
		firewall_remove(&keys[done]);
		host_key_format(&keys[done], key_text, sizeof(key_text));
		if (done < COMMANDS_LIST_MAX)
			json_array_append_new(hosts, control_json_text(key_text));
	}
	free(keys);
	log_notice("event=manual-unblock scope=%s detector=%s count=%zu "
	    "uid=%ld", t->all ? "all" : t->text, only < 0 ? "any" :
	    detector_name((enum detector)only), done, (long)c->peer);
	if (done < count) {
		json_decref(hosts);
		return commands_fail(c, "the store failed after %zu of %zu "
		    "hosts were unblocked: %s", done, count,
		    store_error(c->rt->store));
	}
	commands_members(c, json_pack("{s:s, s:o, s:o, s:b, s:I, s:o}",
	    "scope", t->all ? "all" : "prefix",
	    "host", control_json_text(t->all ? NULL : t->text),
	    "detector", control_json_text(only < 0 ? NULL :
	    detector_name((enum detector)only)),
	    "was_blocked", done > 0,
	    "unblocked", (json_int_t)done,
	    "hosts", hosts));
	return 0;
}

static int commands_unblock_all(struct command_ctx *c)
{
	struct command_target all = { .all = true };
	enum detector d;

	if (c->argc < 2)
		return commands_unblock_many(c, &all, -1);
	if (detector_from_name(c->argv[1], &d) < 0)
		return commands_fail(c, "\"%.32s\" is not a detector (expected "
		    "dos, dha, attack or manual)", c->argv[1]);
	return commands_unblock_many(c, &all, (int)d);
}

static int commands_unblock(struct command_ctx *c)
{
	struct command_target t;
	struct store_host host;
	bool was_blocked;

	if (strcmp(c->argv[0], "--all") == 0)
		return commands_unblock_all(c);
	if (c->argc > 1)
		return commands_fail(c, "unblock: too many arguments");
	if (commands_target(c, c->argv[0], &t) < 0)
		return -1;
	if (!t.one_host)
		return commands_unblock_many(c, &t, -1);
	if (store_lookup(c->rt->store, &t.key, &host) < 0 ||
	    store_unblock(c->rt->store, &t.key) < 0)
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	was_blocked = rule_host_blocked(host.state, c->now, NULL);
	firewall_remove(&t.key);
	log_notice("event=manual-unblock host=%s was_blocked=%s uid=%ld",
	    t.key_text, was_blocked ? "yes" : "no", (long)c->peer);
	commands_members(c, json_pack("{s:s, s:o, s:o, s:b, s:I, s:[o*]}",
	    "scope", "host",
	    "host", control_json_text(t.key_text),
	    "detector", json_null(),
	    "was_blocked", was_blocked,
	    "unblocked", (json_int_t)was_blocked,
	    "hosts", was_blocked ? control_json_text(t.key_text) : NULL));
	return 0;
}

/* reload, metrics */

json_t *commands_restart_keys(const char *keys)
{
	json_t *list = json_array();
	const char *end;

	while (keys[0] != '\0') {
		end = strchrnul(keys, ',');
		json_array_append_new(list, json_stringn(keys,
		    (size_t)(end - keys)));
		keys = end[0] == ',' ? end + 1 : end;
	}
	return list;
}

static int commands_reload(struct command_ctx *c)
{
	char err[CONFIG_ERROR_MAX], keys[RUNTIME_RESTART_KEYS_MAX];

	if (runtime_reload_keys(c->rt, "control", keys, sizeof(keys), err,
	    sizeof(err)) < 0)
		return commands_fail(c, "%s", err);
	commands_members(c, json_pack("{s:o, s:o}",
	    "config", control_json_text(c->rt->config_path),
	    "restart_needed", commands_restart_keys(keys)));
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
	{ "unblock", 1, 2, commands_unblock },
	{ "reload", 0, 0, commands_reload },
	{ "metrics", 0, 0, commands_metrics },
	{ "exclude", 1, 2, commands_exclude },
	{ "top", 0, 0, commands_top },
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
		    "show, block, unblock, exclude, reload, metrics or top)");
	c.now = (int64_t)time(NULL);
	c.cfg = policy_config(rt->policy);
	answer = commands_execute(&c, cmd, args);
	config_unref(c.cfg);
	return answer;
}
