/*
 * config_daemon.c - the keys that only the daemon's own running uses,
 * not the detection: where it listens (socket, control, metrics_listen
 * and their modes), who it runs as, its pid file, its log (facility,
 * level, log_file), node, mta_warn_after, state_file, monitor_only.  Private to the configuration
 * module; see config.h and bulwark.conf(5).
 *
 * config_daemon_defaults() sets their defaults, config_daemon_free()
 * frees what they hold; the config_set_* setters are entered in the
 * table of top-level keys of config.c.
 */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "config_loader.h"
#include "listen_addr.h"
#include "socket_spec.h"
#include "xalloc.h"

#define NAME_MAX_LEN	32	/* of a user or group name */

static const struct name_value config_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	{ NULL, 0 }
};

static const struct name_value config_log_levels[] = {
	{ "error", LOG_LEVEL_ERROR }, { "warning", LOG_LEVEL_WARNING },
	{ "notice", LOG_LEVEL_NOTICE }, { "info", LOG_LEVEL_INFO },
	{ "debug", LOG_LEVEL_DEBUG }, { NULL, 0 }
};

#define CONFIG_MTA_WARN_AFTER	600	/* seconds */

void config_daemon_defaults(struct config *cfg)
{
	cfg->mta_warn_after = CONFIG_MTA_WARN_AFTER;
	cfg->log_file = xstrdup("");
	cfg->state_file = xstrdup("");
	cfg->node = xstrdup("");
}

void config_daemon_free(struct config *cfg)
{
	free(cfg->log_file);
	free(cfg->state_file);
	free(cfg->node);
}

/* "" (the host name) or printable ASCII without blanks. */
int config_set_node(struct loader *ld, const config_setting_t *s)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	if (strlen(text) > CONFIG_NODE_MAX)
		return loader_fail_key(ld, s, "at most %d characters",
		    CONFIG_NODE_MAX);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\')
			return loader_fail_key(ld, s, "expected printable "
			    "characters without blanks, quotes or backslashes");
	}
	loader_replace_string(&ld->cfg->node, text);
	return 0;
}

/* "" (none) or an absolute path. */
int config_set_state_file(struct loader *ld, const config_setting_t *s)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	if (text[0] != '\0' && (text[0] != '/' || text[strlen(text) - 1] == '/'))
		return loader_fail_key(ld, s, "expected \"\" or the absolute "
		    "path of a file");
	loader_replace_string(&ld->cfg->state_file, text);
	return 0;
}

/* "" (syslog), "stderr", or an absolute path. */
int config_set_log_file(struct loader *ld, const config_setting_t *s)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	if (text[0] != '\0' && text[0] != '/' && strcmp(text, "stderr") != 0)
		return loader_fail_key(ld, s, "expected \"\" (syslog), "
		    "\"stderr\" or an absolute path");
	if (text[0] == '/' && text[strlen(text) - 1] == '/')
		return loader_fail_key(ld, s, "expected a file, not a directory");
	loader_replace_string(&ld->cfg->log_file, text);
	return 0;
}

/* A duration, or 0 for never. */
int config_set_mta_warn_after(struct loader *ld, const config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_INT &&
	    config_setting_get_int(s) == 0) {
		ld->cfg->mta_warn_after = 0;
		return 0;
	}
	return loader_get_duration(ld, s, &ld->cfg->mta_warn_after);
}


int config_set_socket(struct loader *ld, const config_setting_t *s)
{
	const char *text, *problem;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	if ((problem = socket_spec_problem(text)) != NULL)
		return loader_fail_key(ld, s, "invalid socket \"%s\": %s", text,
		    problem);
	loader_replace_string(&ld->cfg->socket, text);
	return 0;
}

/* A file mode written as an octal string ("0660"). */
static int get_mode(struct loader *ld, const config_setting_t *s,
    unsigned *out)
{
	const char *text;
	size_t digits;
	unsigned long mode;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return loader_fail_key(ld, s, "expected an octal mode as a string, "
		    "such as \"0660\"");
	text = config_setting_get_string(s);
	digits = strspn(text, "01234567");
	mode = strtoul(text, NULL, 8);
	if (digits == 0 || digits > 4 || text[digits] != '\0' || mode > 0777)
		return loader_fail_key(ld, s, "invalid mode \"%s\" (expected 1 to 4 "
		    "octal digits, at most 0777)", text);
	*out = (unsigned)mode;
	return 0;
}

int config_set_socket_mode(struct loader *ld, const config_setting_t *s)
{
	return get_mode(ld, s, &ld->cfg->socket_mode);
}

int config_set_pidfile(struct loader *ld, const config_setting_t *s)
{
	const char *text;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	if (text[0] != '/' && text[0] != '\0')
		return loader_fail_key(ld, s, "expected an absolute path, or \"\" "
		    "for none");
	loader_replace_string(&ld->cfg->pidfile, text);
	return 0;
}

/* A user or group name: "" or what useradd would accept, at most 32 bytes. */
static int set_name(struct loader *ld, const config_setting_t *s, char **field)
{
	const char *text;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	if (strlen(text) > NAME_MAX_LEN || text[0] == '-' ||
	    text[strspn(text, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] != '\0')
		return loader_fail_key(ld, s, "invalid name \"%s\" (expected at "
		    "most %d letters, digits, '.', '_' or '-', not starting with "
		    "'-')", text, NAME_MAX_LEN);
	loader_replace_string(field, text);
	return 0;
}

int config_set_user(struct loader *ld, const config_setting_t *s)
{
	return set_name(ld, s, &ld->cfg->user);
}

int config_set_group(struct loader *ld, const config_setting_t *s)
{
	return set_name(ld, s, &ld->cfg->group);
}

int config_set_control(struct loader *ld, const config_setting_t *s)
{
	const char *text, *problem = NULL;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	if (text[0] != '\0' && strncmp(text, "unix:", 5) != 0)
		problem = "expected unix:/path, or \"\" for none";
	else if (text[0] != '\0')
		problem = socket_spec_problem(text);
	if (problem != NULL)
		return loader_fail_key(ld, s, "invalid socket \"%s\": %s", text,
		    problem);
	loader_replace_string(&ld->cfg->control, text);
	return 0;
}

int config_set_control_mode(struct loader *ld, const config_setting_t *s)
{
	return get_mode(ld, s, &ld->cfg->control_mode);
}

int config_set_syslog_facility(struct loader *ld, const config_setting_t *s)
{
	return loader_get_enum(ld, s, config_facilities, &ld->cfg->syslog_facility);
}

int config_set_log_level(struct loader *ld, const config_setting_t *s)
{
	int level;

	if (loader_get_enum(ld, s, config_log_levels, &level) < 0)
		return -1;
	ld->cfg->log_level = (enum log_level)level;
	return 0;
}

int config_set_monitor_only(struct loader *ld, const config_setting_t *s)
{
	return loader_get_bool(ld, s, &ld->cfg->monitor_only);
}

int config_set_metrics_listen(struct loader *ld, const config_setting_t *s)
{
	struct listen_addr addr;
	const char *text, *why;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	if (text[0] != '\0' && listen_addr_parse(text, &addr, &why) < 0)
		return loader_fail_key(ld, s, "invalid address \"%s\": %s", text,
		    why);
	loader_replace_string(&ld->cfg->metrics_listen, text);
	return 0;
}
