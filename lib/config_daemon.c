/*
 * config_daemon.c - the keys that only the daemon's own running uses,
 * not the detection: mta_warn_after.  Private to the configuration
 * module; see config.h and bulwark.conf(5).
 *
 * config_daemon_defaults() sets their defaults, config_daemon_free()
 * frees what they hold; the config_set_* setters are entered in the
 * table of top-level keys of config.c.
 */
#include <libconfig.h>
#include <stdlib.h>

#include "config.h"
#include "config_loader.h"

#define CONFIG_MTA_WARN_AFTER	600	/* seconds */

void config_daemon_defaults(struct config *cfg)
{
	cfg->mta_warn_after = CONFIG_MTA_WARN_AFTER;
}

void config_daemon_free(struct config *cfg)
{
	(void)cfg;
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
