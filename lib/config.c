/*
 * config.c - bulwark.conf: libconfig text in, a validated struct config out.
 * See config.h for the contract and bulwark.conf(5) for the keys.
 *
 * Loading starts from the defaults and overwrites what the file sets.  Each
 * group is walked setting by setting against a table of its keys, so a
 * misspelt key is an error, never silently ignored, and the first error in
 * file order is the one reported.  Types are checked before any value is
 * read, so libconfig's number conversions never apply.  The files a
 * configuration names are read last, once every key is known.  The
 * setters of the daemon's own keys are in config_daemon.c, those of the
 * detector groups in config_detectors.c, the redis group's in
 * config_redis.c; the table of top-level keys is here.
 *
 * libconfig 1.5 keeps only the low 32 bits of a decimal integer too large
 * for an int (without the L suffix); such a value is out of range or, if
 * it wraps into the range, taken as wrapped.
 */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "config.h"
#include "config_loader.h"
#include "duration.h"
#include "hostlist.h"
#include "recipients.h"
#include "xalloc.h"

#define MAX_HOSTS	100000000

/*
 * The store backends this build has; a backend is added here when it is
 * built.
 */
static const char *const config_stores[] = { "memory", "redis", NULL };

static const struct name_value config_blocked_actions[] = {
	{ "reject", ACTION_REJECT }, { "tempfail", ACTION_TEMPFAIL },
	{ NULL, 0 }
};

static const struct {
	struct rule rule;
	enum action action;
	const char *reply;
} config_detector_defaults[DETECTOR_COUNT] = {
	[DETECTOR_DOS] = { { .enabled = true, .max = 100, .period = 60,
	    .block = 600, .sliding_max = 86400 },
	    ACTION_TEMPFAIL, "Too many connections from %a, try again later" },
	[DETECTOR_DHA] = { { .enabled = true, .max = 10, .period = 300,
	    .block = 900, .sliding_max = 86400 },
	    ACTION_TEMPFAIL, "Too many invalid recipients from %a" },
	/* Enabled only with attack.max_flagged > 0, which is off by default. */
	[DETECTOR_ATTACK] = { { .enabled = false, .max = 0, .period = 3600,
	    .block = 3600, .sliding_max = 86400 },
	    ACTION_TEMPFAIL, "Possible SMTP attack from %a" },
	[DETECTOR_MANUAL] = { { .enabled = true, .max = UINT32_MAX,
	    .period = 1 },
	    ACTION_TEMPFAIL, "Connection refused for %a" },
};

static const char *const config_default_exclude[] = { "127.0.0.0/8", "::1" };

/* Defaults. */

static void config_set_default_detectors(struct config *cfg)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		cfg->rules[d] = config_detector_defaults[d].rule;
		cfg->actions[d] = config_detector_defaults[d].action;
		cfg->replies[d] = xstrdup(config_detector_defaults[d].reply);
	}
	cfg->dha_status_codes = xcalloc(1, sizeof(*cfg->dha_status_codes));
	cfg->dha_status_codes[0] = xstrdup("5.1.1");
	cfg->dha_status_code_count = 1;
	cfg->dha_recipients_file = xstrdup("");
	cfg->attack_enabled = true;
	cfg->attack_max_commands = 10;
	cfg->attack_count = ATTACK_COUNT_HELO | ATTACK_COUNT_UNKNOWN;
	cfg->attack_action = ACTION_LOG;
	cfg->concurrency_max_sessions = 20;
	cfg->concurrency_action = ACTION_TEMPFAIL;
	cfg->concurrency_lease = 30;
	cfg->concurrency_reply = xstrdup("Too many simultaneous connections "
	    "from %a, try again later");
}

static void config_set_default_hosts(struct config *cfg)
{
	char err[CONFIG_ERROR_MAX];

	cfg->ipv4_prefix = 32;
	cfg->ipv6_prefix = 64;
	cfg->exclude = hostlist_new();
	/* Constant entries: they are valid, so adding them cannot fail. */
	for (size_t i = 0; i < sizeof(config_default_exclude) /
	    sizeof(config_default_exclude[0]); i++)
		(void)hostlist_add(cfg->exclude, config_default_exclude[i], err,
		    sizeof(err));
	cfg->exclude_file = xstrdup("");
	cfg->exclude_authenticated = true;
	cfg->blocked = hostlist_new();
	cfg->blocked_file = xstrdup("");
	cfg->blocked_action = ACTION_REJECT;
}

struct config *config_defaults(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->path = xstrdup("(defaults)");
	cfg->socket = xstrdup("unix:/run/bulwark/bulwark.sock");
	cfg->socket_mode = 0660;
	cfg->pidfile = xstrdup("/run/bulwark/bulwark.pid");
	cfg->user = xstrdup("");
	cfg->group = xstrdup("");
	cfg->control = xstrdup("unix:/run/bulwark/control.sock");
	cfg->control_mode = 0600;
	cfg->syslog_facility = LOG_MAIL;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->monitor_only = false;
	cfg->metrics_listen = xstrdup("127.0.0.1:9713");
	cfg->store = xstrdup("memory");
	cfg->memory_max_hosts = 1000000;
	config_redis_defaults(&cfg->redis);
	config_set_default_hosts(cfg);
	config_set_default_detectors(cfg);
	config_daemon_defaults(cfg);
	config_firewall_defaults(&cfg->firewall);
	cfg->refs = 1;
	return cfg;
}

/* Reference counting. */

static void config_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->socket);
	free(cfg->pidfile);
	free(cfg->user);
	free(cfg->group);
	free(cfg->control);
	free(cfg->metrics_listen);
	free(cfg->store);
	config_redis_free(&cfg->redis);
	hostlist_free(cfg->exclude);
	free(cfg->exclude_file);
	loader_free_strings(cfg->exclude_verified_domains,
	    cfg->exclude_verified_domain_count);
	hostlist_free(cfg->blocked);
	free(cfg->blocked_file);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		free(cfg->replies[d]);
	free(cfg->concurrency_reply);
	loader_free_strings(cfg->dha_status_codes, cfg->dha_status_code_count);
	free(cfg->dha_recipients_file);
	recipients_free(cfg->dha_recipients);
	config_daemon_free(cfg);
	config_firewall_free(&cfg->firewall);
	free(cfg);
}

struct config *config_ref(struct config *cfg)
{
	if (cfg != NULL)
		__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

void config_unref(struct config *cfg)
{
	if (cfg != NULL &&
	    __atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL) == 0)
		config_free(cfg);
}

bool config_dha_status_counts(const struct config *cfg, const char *status)
{
	if (status == NULL)
		return false;
	for (size_t i = 0; i < cfg->dha_status_code_count; i++) {
		if (strcmp(cfg->dha_status_codes[i], status) == 0)
			return true;
	}
	return false;
}

/* Keys that take effect only at start. */

struct config_changes {
	char *names;
	size_t len;
	size_t count;
};

static void config_changed(struct config_changes *c, const char *name)
{
	size_t used = strlen(c->names);

	if (c->len > used)
		snprintf(c->names + used, c->len - used, "%s%s",
		    c->count > 0 ? "," : "", name);
	c->count++;
}

static void config_keep_string(struct config_changes *c, const char *name,
    char **next, const char *running)
{
	if (strcmp(*next, running) == 0)
		return;
	config_changed(c, name);
	loader_replace_string(next, running);
}

static void config_keep_uint(struct config_changes *c, const char *name,
    unsigned *next, unsigned running)
{
	if (*next == running)
		return;
	config_changed(c, name);
	*next = running;
}

size_t config_keep_start_keys(struct config *next,
    const struct config *running, char *changed, size_t changedlen)
{
	struct config_changes c = { changed, changedlen, 0 };

	if (changedlen > 0)
		changed[0] = '\0';
	config_keep_string(&c, "socket", &next->socket, running->socket);
	config_keep_uint(&c, "socket_mode", &next->socket_mode,
	    running->socket_mode);
	config_keep_string(&c, "pidfile", &next->pidfile, running->pidfile);
	config_keep_string(&c, "user", &next->user, running->user);
	config_keep_string(&c, "group", &next->group, running->group);
	config_keep_string(&c, "control", &next->control, running->control);
	config_keep_uint(&c, "control_mode", &next->control_mode,
	    running->control_mode);
	config_keep_string(&c, "metrics_listen", &next->metrics_listen,
	    running->metrics_listen);
	config_keep_string(&c, "log_file", &next->log_file, running->log_file);
	config_keep_string(&c, "node", &next->node, running->node);
	config_keep_string(&c, "store", &next->store, running->store);
	config_keep_uint(&c, "memory.max_hosts", &next->memory_max_hosts,
	    running->memory_max_hosts);
	config_keep_string(&c, "state_file", &next->state_file,
	    running->state_file);
	if (!config_redis_equal(&next->redis, &running->redis)) {
		config_changed(&c, "redis");
		config_redis_copy(&next->redis, &running->redis);
	}
	if (config_firewall_keep(&next->firewall, &running->firewall))
		config_changed(&c, "firewall");
	return c.count;
}

static int set_store(struct loader *ld, const config_setting_t *s)
{
	const char *text;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	for (size_t i = 0; config_stores[i] != NULL; i++) {
		if (strcmp(config_stores[i], text) == 0) {
			loader_replace_string(&ld->cfg->store, text);
			return 0;
		}
	}
	return loader_fail_key(ld, s, "\"%s\" is not available in this build", text);
}

static int set_max_hosts(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, MAX_HOSTS, &ld->cfg->memory_max_hosts);
}

/* Setters of the host keys. */

static int set_ipv4_prefix(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 8, 32, &ld->cfg->ipv4_prefix);
}

static int set_ipv6_prefix(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 16, 128, &ld->cfg->ipv6_prefix);
}

/* A list replaces the default one; the file's entries join it later. */
static int set_hostlist(struct loader *ld, const config_setting_t *s,
    struct hostlist **field)
{
	char why[CONFIG_ERROR_MAX];
	struct hostlist *list;
	int n = loader_string_list_length(ld, s);

	if (n < 0)
		return -1;
	list = hostlist_new();
	for (int i = 0; i < n; i++) {
		if (hostlist_add(list, loader_list_string(s, i), why,
		    sizeof(why)) < 0) {
			hostlist_free(list);
			return loader_fail_key(ld, config_setting_get_elem(s,
			    (unsigned)i), "%s", why);
		}
	}
	hostlist_free(*field);
	*field = list;
	return 0;
}

static int set_exclude(struct loader *ld, const config_setting_t *s)
{
	return set_hostlist(ld, s, &ld->cfg->exclude);
}

static int set_exclude_file(struct loader *ld, const config_setting_t *s)
{
	return loader_set_string(ld, s, &ld->cfg->exclude_file);
}

static int set_exclude_authenticated(struct loader *ld,
    const config_setting_t *s)
{
	return loader_get_bool(ld, s, &ld->cfg->exclude_authenticated);
}

static int set_blocked(struct loader *ld, const config_setting_t *s)
{
	return set_hostlist(ld, s, &ld->cfg->blocked);
}

static int set_blocked_file(struct loader *ld, const config_setting_t *s)
{
	return loader_set_string(ld, s, &ld->cfg->blocked_file);
}

static int set_blocked_action(struct loader *ld, const config_setting_t *s)
{
	int action;

	if (loader_get_enum(ld, s, config_blocked_actions, &action) < 0)
		return -1;
	ld->cfg->blocked_action = (enum action)action;
	return 0;
}

static const struct config_key config_memory_keys[] = {
	{ "max_hosts", set_max_hosts },
	{ NULL, NULL }
};

static int set_memory(struct loader *ld, const config_setting_t *s)
{
	return loader_walk_group(ld, s, config_memory_keys);
}

static const struct config_key config_root_keys[] = {
	{ "node", config_set_node },
	{ "socket", config_set_socket },
	{ "socket_mode", config_set_socket_mode },
	{ "pidfile", config_set_pidfile },
	{ "user", config_set_user },
	{ "group", config_set_group },
	{ "control", config_set_control },
	{ "control_mode", config_set_control_mode },
	{ "syslog_facility", config_set_syslog_facility },
	{ "log_level", config_set_log_level },
	{ "log_file", config_set_log_file },
	{ "monitor_only", config_set_monitor_only },
	{ "metrics_listen", config_set_metrics_listen },
	{ "mta_warn_after", config_set_mta_warn_after },
	{ "store", set_store },
	{ "memory", set_memory },
	{ "state_file", config_set_state_file },
	{ "redis", config_set_redis },
	{ "ipv4_prefix", set_ipv4_prefix },
	{ "ipv6_prefix", set_ipv6_prefix },
	{ "exclude", set_exclude },
	{ "exclude_file", set_exclude_file },
	{ "exclude_authenticated", set_exclude_authenticated },
	{ "exclude_verified_domains", config_set_verified_domains },
	{ "blocked", set_blocked },
	{ "blocked_file", set_blocked_file },
	{ "blocked_action", set_blocked_action },
	{ "dos", config_set_dos },
	{ "dha", config_set_dha },
	{ "attack", config_set_attack },
	{ "concurrency", config_set_concurrency },
	{ "firewall", config_set_firewall },
	{ NULL, NULL }
};

/* Loading. */

/* The files named in the configuration; their errors are "path:line: ...". */
static int load_files(struct loader *ld)
{
	struct config *cfg = ld->cfg;

	if (cfg->exclude_file[0] != '\0' && hostlist_load_file(cfg->exclude,
	    cfg->exclude_file, ld->err, ld->errlen) < 0)
		return -1;
	if (cfg->blocked_file[0] != '\0' && hostlist_load_file(cfg->blocked,
	    cfg->blocked_file, ld->err, ld->errlen) < 0)
		return -1;
	if (cfg->dha_recipients_file[0] != '\0') {
		cfg->dha_recipients = recipients_load(cfg->dha_recipients_file,
		    ld->err, ld->errlen);
		if (cfg->dha_recipients == NULL)
			return -1;
	}
	return 0;
}

static void parse_error(const struct loader *ld, const config_t *lc)
{
	const char *file = config_error_file(lc);

	if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
		snprintf(ld->err, ld->errlen, "%s: %s", ld->path,
		    config_error_text(lc));
	else
		snprintf(ld->err, ld->errlen, "%s:%d: %s",
		    file != NULL ? file : ld->path, config_error_line(lc),
		    config_error_text(lc));
}

/*
 * Open the file for reading.  Anything but a regular file is refused up
 * front: libconfig's scanner exits the process when a read fails.
 */
static FILE *open_regular(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	struct stat st;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "%s: %s", path, S_ISDIR(st.st_mode) ?
		    strerror(EISDIR) : "not a regular file");
	else
		return fp;
	fclose(fp);
	return NULL;
}

/* A group alone names nobody to run as. */
static int check_group(struct loader *ld, const config_t *lc)
{
	if (ld->cfg->group[0] == '\0' || ld->cfg->user[0] != '\0')
		return 0;
	return loader_fail_key(ld, config_lookup(lc, "group"),
	    "is set, so user must be set too");
}

/*
 * libconfig 1.5 exits the process when an @include names something it
 * cannot read (a directory, say), and offers no hook to check first: a
 * reload must never end the daemon, so @include is refused.
 */
static int refuse_includes(struct loader *ld, FILE *fp)
{
	char line[1024];
	unsigned lineno = 0;
	int rc = 0;

	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		const char *p = line + strspn(line, " \t");

		lineno++;
		if (strncmp(p, "@include", 8) == 0) {
			snprintf(ld->err, ld->errlen, "%s:%u: @include is not "
			    "supported: put every setting in this file",
			    ld->path, lineno);
			rc = -1;
		}
		/* A line longer than the buffer goes on in the next read. */
		while (strchr(line, '\n') == NULL &&
		    fgets(line, sizeof(line), fp) != NULL)
			;
	}
	rewind(fp);
	return rc;
}

/*
 * A file of nothing but blanks is what a truncation leaves: loading it
 * would put every key back to its default, so it is refused.  A comment
 * is enough to accept the defaults on purpose.
 */
static int refuse_empty(struct loader *ld, FILE *fp)
{
	int c;

	while ((c = getc(fp)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		;
	if (ferror(fp)) {
		snprintf(ld->err, ld->errlen, "%s: %s", ld->path,
		    strerror(errno));
		return -1;
	}
	rewind(fp);
	if (c != EOF)
		return 0;
	snprintf(ld->err, ld->errlen, "%s: empty file (truncated?): refusing "
	    "to put every setting back to its default", ld->path);
	return -1;
}

static int load(struct loader *ld, FILE *fp, config_edit_fn edit, void *arg)
{
	config_t lc;
	int rc = -1;

	if (fp != NULL && (refuse_empty(ld, fp) < 0 ||
	    refuse_includes(ld, fp) < 0))
		return -1;
	config_init(&lc);
	if (fp != NULL ? !config_read(&lc, fp) : !config_read_string(&lc, ""))
		parse_error(ld, &lc);
	else if (edit != NULL && edit(&lc, arg, ld->err, ld->errlen) < 0)
		rc = -1;
	else if (loader_walk_group(ld, config_root_setting(&lc),
	    config_root_keys) == 0 && check_group(ld, &lc) == 0 &&
	    config_network_check(ld, &lc) == 0 &&
	    config_firewall_check(ld, &lc) == 0)
		rc = load_files(ld);
	config_destroy(&lc);
	return rc;
}

struct config *config_load_edited(const char *path, config_edit_fn edit,
    void *arg, char *err, size_t errlen)
{
	struct loader ld = { path != NULL ? path : "(defaults)", NULL, err,
	    errlen, DETECTOR_DOS };
	FILE *fp = NULL;
	int rc;

	if (path != NULL && (fp = open_regular(path, err, errlen)) == NULL)
		return NULL;
	ld.cfg = config_defaults();
	if (path != NULL)
		loader_replace_string(&ld.cfg->path, path);
	rc = load(&ld, fp, edit, arg);
	if (fp != NULL)
		fclose(fp);
	if (rc < 0) {
		config_unref(ld.cfg);
		return NULL;
	}
	return ld.cfg;
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
	return config_load_edited(path, NULL, NULL, err, errlen);
}
