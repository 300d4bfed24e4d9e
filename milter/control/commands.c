/*
 * commands.c - see commands.h.  The dispatch, the shared helpers, and
 * the commands that act on the daemon or one host: status, block,
 * unblock, reload, metrics.  list and show are in commands_view.c.
 *
 * Client-given text (addresses, reasons) only reaches the log through
 * runtime_quote() and the answer through the JSON writer, which escapes
 * it.  Blocks by hand go through the store, so with the Redis store
 * every node of the array enforces them.
 */
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
#include "hostlist.h"
#include "log.h"
#include "metrics.h"
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

void commands_format_time(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)when);
}

void commands_time(struct json_writer *w, const char *key, int64_t when)
{
	if (when > 0)
		json_int(w, key, when);
	else
		json_null(w, key);
}

/* status */

/* A lookup is the cheapest call that needs the backend to answer. */
static void commands_store_health(struct command_ctx *c)
{
	struct store *store = c->rt->store;
	struct host_key probe = { .family = 4 };
	struct store_host host;
	bool answers = store_lookup(store, &probe, &host) == 0;

	json_object_begin(c->w, "store");
	json_string(c->w, "backend", store->ops->name);
	json_string(c->w, "health", store_degraded(store) ? "degraded" :
	    answers ? "ok" : "failing");
	json_string(c->w, "error", answers ? NULL : store_error(store));
	json_object_end(c->w);
}

/* One sample line of the metrics text: "name{labels} value". */
static void commands_counter(struct json_writer *w, const char *line)
{
	const char *space = strrchr(line, ' ');
	char name[512], *end;
	double value;

	if (space == NULL || (size_t)(space - line) >= sizeof(name))
		return;
	value = strtod(space + 1, &end);
	if (end == space + 1 || *end != '\0' || value != (double)(int64_t)value)
		return;
	snprintf(name, sizeof(name), "%.*s", (int)(space - line), line);
	json_object_begin(w, NULL);
	json_string(w, "name", name);
	json_int(w, "value", (int64_t)value);
	json_object_end(w);
}

/* The counters and gauges of the metrics text; histograms are left out. */
static void commands_counters(struct command_ctx *c)
{
	char *text = metrics_render(c->rt->store, c->now);
	char *line, *next, type[32] = "";

	json_array_begin(c->w, "counters");
	for (line = text; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		if (strncmp(line, "# TYPE ", 7) == 0)
			sscanf(line, "# TYPE %*s %31s", type);
		else if (line[0] != '#' && line[0] != '\0' &&
		    (strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0))
			commands_counter(c->w, line);
	}
	json_array_end(c->w);
	free(text);
}

static int commands_status(struct command_ctx *c)
{
	json_string(c->w, "version", BULWARK_VERSION);
	json_int(c->w, "pid", (int64_t)getpid());
	json_string(c->w, "node", c->rt->node);
	json_int(c->w, "started", c->rt->started);
	json_int(c->w, "uptime", c->now - c->rt->started);
	json_string(c->w, "config", c->rt->config_path);
	json_bool(c->w, "monitor_only", c->cfg->monitor_only);
	commands_store_health(c);
	commands_counters(c);
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
	char quoted[STORE_NOTE_REASON_MAX * 4], until_text[32];

	runtime_quote(reason, quoted, sizeof(quoted));
	commands_format_time(until, until_text, sizeof(until_text));
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
	metrics_block_started(DETECTOR_MANUAL);
	commands_log_block(c, key_text, until, seconds, reason);
	excluded = hostlist_match(c->cfg->exclude, &addr) &&
	    !hostlist_match(c->cfg->blocked, &addr);
	json_string(c->w, "host", key_text);
	json_int(c->w, "until", until);
	json_int(c->w, "duration", seconds);
	json_string(c->w, "reason", reason);
	json_bool(c->w, "excluded", excluded);
	json_string(c->w, "warning", excluded ? "the address is on the "
	    "exclude list: the block is not enforced while it is" : NULL);
	return 0;
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
	was_blocked = rule_host_blocked(host.state, c->now, NULL);
	log_notice("event=manual-unblock host=%s was_blocked=%s uid=%ld",
	    key_text, was_blocked ? "yes" : "no", (long)c->peer);
	json_string(c->w, "host", key_text);
	json_bool(c->w, "was_blocked", was_blocked);
	return 0;
}

/* reload, metrics */

static int commands_reload(struct command_ctx *c)
{
	char err[CONFIG_ERROR_MAX];

	if (runtime_reload(c->rt, "control", err, sizeof(err)) < 0)
		return commands_fail(c, "%s", err);
	json_string(c->w, "config", c->rt->config_path);
	return 0;
}

static int commands_metrics(struct command_ctx *c)
{
	char *text = metrics_render(c->rt->store, c->now);

	json_string(c->w, "metrics", text);
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

static char *commands_answer(struct json_writer *w)
{
	char *doc = json_finish(w), *line;
	size_t len = strlen(doc);

	line = xrealloc(doc, len + 2, 1);
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

static char *commands_error(const char *command, const char *why)
{
	struct json_writer w;

	json_init(&w);
	json_object_begin(&w, NULL);
	json_bool(&w, "ok", false);
	if (command != NULL)
		json_string(&w, "command", command);
	json_string(&w, "error", why);
	json_object_end(&w);
	return commands_answer(&w);
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
	json_object_begin(c->w, NULL);
	json_bool(c->w, "ok", true);
	json_string(c->w, "command", cmd->name);
	if (cmd->run(c) < 0) {
		free(json_finish(c->w));
		return commands_error(cmd->name, c->err);
	}
	json_object_end(c->w);
	return commands_answer(c->w);
}

char *commands_run(struct runtime *rt, const char *line, uid_t peer)
{
	char request[CONTROL_LINE_MAX + 1], *args;
	struct json_writer w;
	struct command_ctx c = { .rt = rt, .w = &w, .peer = peer };
	const struct command *cmd;
	char *answer;

	snprintf(request, sizeof(request), "%s", line);
	if ((args = strchr(request, ' ')) != NULL)
		*args++ = '\0';
	if ((cmd = commands_find(request)) == NULL)
		return commands_refuse("unknown command (expected status, list, "
		    "show, block, unblock, reload or metrics)");
	json_init(&w);
	c.now = (int64_t)time(NULL);
	c.cfg = policy_config(rt->policy);
	answer = commands_execute(&c, cmd, args);
	config_unref(c.cfg);
	return answer;
}
