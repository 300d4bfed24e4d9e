/*
 * config_daemon.c - the keys that only the daemon's own running uses,
 * not the detection: node, mta_warn_after, log_file, state_file.  Private to the configuration
 * module; see config.h and bulwark.conf(5).
 *
 * config_daemon_defaults() sets their defaults, config_daemon_free()
 * frees what they hold; the config_set_* setters are entered in the
 * table of top-level keys of config.c.
 */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_loader.h"
#include "xalloc.h"

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
