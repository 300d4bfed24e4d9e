/*
 * config_loader.h - the machinery config.c walks bulwark.conf with: typed
 * reads of libconfig settings that report "file:line: key: what" errors.
 * Private to the configuration module (config*.c).
 *
 * Every loader_get_* and loader_set_* returns 0, or -1 with the error
 * written to ld->err; loader_get_string() returns NULL on error.
 * loader_walk_group() calls the setter of each key of a group in file
 * order; a key missing from the table is an error ("unknown key").
 */
#ifndef BULWARK_CONFIG_LOADER_H
#define BULWARK_CONFIG_LOADER_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct loader {
	const char *path;
	struct config *cfg;
	char *err;
	size_t errlen;
	enum detector detector;		/* of the group being walked */
};

struct config_key {
	const char *name;
	int (*set)(struct loader *ld, const config_setting_t *s);
};

struct name_value {
	const char *name;
	int value;
};

int loader_fail(const struct loader *ld, const config_setting_t *s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int loader_fail_key(const struct loader *ld, const config_setting_t *s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int loader_get_bool(struct loader *ld, const config_setting_t *s, bool *out);
int loader_get_uint(struct loader *ld, const config_setting_t *s,
    unsigned min, unsigned max, unsigned *out);
const char *loader_get_string(struct loader *ld, const config_setting_t *s);
void loader_replace_string(char **field, const char *value);
int loader_set_string(struct loader *ld, const config_setting_t *s,
    char **field);
int loader_enum_lookup(const struct name_value *table, const char *name,
    int *out);
int loader_fail_enum(struct loader *ld, const config_setting_t *s,
    const struct name_value *table, const char *value);
int loader_get_enum(struct loader *ld, const config_setting_t *s,
    const struct name_value *table, int *out);
int loader_get_duration(struct loader *ld, const config_setting_t *s,
    unsigned *out);
/* The number of elements of a list of strings, or -1. */
int loader_string_list_length(struct loader *ld, const config_setting_t *s);
const char *loader_list_string(const config_setting_t *s, int i);
/* Free count strings and the array holding them (NULL accepted). */
void loader_free_strings(char **strings, size_t count);
int loader_walk_group(struct loader *ld, const config_setting_t *group,
    const struct config_key *keys);

/* The detector groups, in config_detectors.c. */
int config_set_dos(struct loader *ld, const config_setting_t *s);
int config_set_dha(struct loader *ld, const config_setting_t *s);
int config_set_attack(struct loader *ld, const config_setting_t *s);
int config_set_concurrency(struct loader *ld, const config_setting_t *s);

/* The network group of a detector group, in config_network.c. */
int config_set_network(struct loader *ld, const config_setting_t *s);
/* Checks against the host prefixes and the rules, once every key is read. */
int config_network_check(struct loader *ld, const config_t *lc);

/* exclude_verified_domains, in config_verified.c. */
int config_set_verified_domains(struct loader *ld, const config_setting_t *s);

/* The redis group, in config_redis.c. */
void config_redis_defaults(struct redis_config *rc);
void config_redis_free(struct redis_config *rc);
bool config_redis_equal(const struct redis_config *a,
    const struct redis_config *b);
/* Replace to's settings with copies of from's. */
void config_redis_copy(struct redis_config *to,
    const struct redis_config *from);
int config_set_redis(struct loader *ld, const config_setting_t *s);

/* The daemon's own keys, in config_daemon.c. */
void config_daemon_defaults(struct config *cfg);
void config_daemon_free(struct config *cfg);
int config_set_mta_warn_after(struct loader *ld, const config_setting_t *s);
int config_set_log_file(struct loader *ld, const config_setting_t *s);
int config_set_state_file(struct loader *ld, const config_setting_t *s);
int config_set_node(struct loader *ld, const config_setting_t *s);
int config_set_socket(struct loader *ld, const config_setting_t *s);
int config_set_socket_mode(struct loader *ld, const config_setting_t *s);
int config_set_pidfile(struct loader *ld, const config_setting_t *s);
int config_set_user(struct loader *ld, const config_setting_t *s);
int config_set_group(struct loader *ld, const config_setting_t *s);
int config_set_control(struct loader *ld, const config_setting_t *s);
int config_set_control_mode(struct loader *ld, const config_setting_t *s);
int config_set_syslog_facility(struct loader *ld, const config_setting_t *s);
int config_set_log_level(struct loader *ld, const config_setting_t *s);
int config_set_monitor_only(struct loader *ld, const config_setting_t *s);
int config_set_metrics_listen(struct loader *ld, const config_setting_t *s);

/* The firewall group, in config_firewall.c. */
void config_firewall_defaults(struct firewall_config *fw);
void config_firewall_free(struct firewall_config *fw);
/* Copy running's start-only keys into next; true when any differed. */
bool config_firewall_keep(struct firewall_config *next,
    const struct firewall_config *running);
int config_set_firewall(struct loader *ld, const config_setting_t *s);
/* Checks across groups, once every key is read. */
int config_firewall_check(struct loader *ld, const config_t *lc);

#endif
