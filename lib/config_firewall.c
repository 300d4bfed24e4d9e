/*
 * config_firewall.c - the firewall group of bulwark.conf: which blocks
 * the daemon pushes into which nftables sets.  See bulwark.conf(5).
 *
 * config_firewall_defaults() fills the defaults (off; table inet bulwark,
 * sets blocked4 and blocked6; dos, attack, manual blocks and the static
 * blocked list; at most FIREWALL_MAX_ELEMENTS_DEFAULT elements),
 * config_firewall_free() frees the strings, config_set_firewall() reads
 * the group (config_loader.h).
 *
 * Table and set names become part of the command text handed to
 * libnftables, so they are restricted here to a letter followed by
 * letters, digits and underscores: no blank, quote, brace or semicolon
 * can reach that text from the configuration.
 *
 * config_firewall_check() runs once the whole file is read: a detector
 * whose blocks go to the firewall may not slide, since the retries that
 * would extend its block are dropped by the kernel before bulwark sees
 * them (the element would end while the block goes on, or the reverse).
 *
 * config_firewall_keep() gives a reloaded configuration the running
 * enabled, table, family and sets (the daemon opens them at start);
 * detectors and max_elements follow a reload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "xalloc.h"

#define FIREWALL_NAME_MAX		64
#define FIREWALL_MAX_ELEMENTS_DEFAULT	65536
#define FIREWALL_MAX_ELEMENTS_MAX	1000000

static const char *const config_firewall_families[] = {
	"inet", "ip", "ip6", "bridge", "netdev", NULL
};

void config_firewall_defaults(struct firewall_config *fw)
{
	memset(fw, 0, sizeof(*fw));
	fw->table = xstrdup("bulwark");
	fw->family = xstrdup("inet");
	fw->set4 = xstrdup("blocked4");
	fw->set6 = xstrdup("blocked6");
	fw->detectors[DETECTOR_DOS] = true;
	fw->detectors[DETECTOR_ATTACK] = true;
	fw->detectors[DETECTOR_MANUAL] = true;
	fw->blocked_list = true;
	fw->max_elements = FIREWALL_MAX_ELEMENTS_DEFAULT;
}

void config_firewall_free(struct firewall_config *fw)
{
	free(fw->table);
	free(fw->family);
	free(fw->set4);
	free(fw->set6);
}

static void config_firewall_keep_string(char **next, const char *running,
    bool *changed)
{
	if (strcmp(*next, running) == 0)
		return;
	*changed = true;
	loader_replace_string(next, running);
}

bool config_firewall_keep(struct firewall_config *next,
    const struct firewall_config *running)
{
	bool changed = next->enabled != running->enabled;

	next->enabled = running->enabled;
	config_firewall_keep_string(&next->table, running->table, &changed);
	config_firewall_keep_string(&next->family, running->family, &changed);
	config_firewall_keep_string(&next->set4, running->set4, &changed);
	config_firewall_keep_string(&next->set6, running->set6, &changed);
	return changed;
}

/* A letter, then letters, digits or '_': safe in nft's command text. */
static bool config_firewall_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > FIREWALL_NAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	return name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] == '\0';
}

static int set_name(struct loader *ld, const config_setting_t *s,
    char **field)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	if (!config_firewall_name_ok(text))
		return loader_fail_key(ld, s, "invalid name \"%s\" (expected a "
		    "letter, then letters, digits or '_', at most %d)", text,
		    FIREWALL_NAME_MAX);
	loader_replace_string(field, text);
	return 0;
}

static int set_enabled(struct loader *ld, const config_setting_t *s)
{
	return loader_get_bool(ld, s, &ld->cfg->firewall.enabled);
}

static int set_table(struct loader *ld, const config_setting_t *s)
{
	return set_name(ld, s, &ld->cfg->firewall.table);
}

static int set_set4(struct loader *ld, const config_setting_t *s)
{
	return set_name(ld, s, &ld->cfg->firewall.set4);
}

static int set_set6(struct loader *ld, const config_setting_t *s)
{
	return set_name(ld, s, &ld->cfg->firewall.set6);
}

static int set_family(struct loader *ld, const config_setting_t *s)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	for (size_t i = 0; config_firewall_families[i] != NULL; i++) {
		if (strcmp(text, config_firewall_families[i]) == 0) {
			loader_replace_string(&ld->cfg->firewall.family, text);
			return 0;
		}
	}
	return loader_fail_key(ld, s, "\"%s\" is not a table family (expected "
	    "inet, ip, ip6, bridge or netdev)", text);
}

/* One name of firewall.detectors into fw; -1 when it names nothing. */
static int config_firewall_detector(struct firewall_config *fw,
    const char *name)
{
	enum detector d;

	if (strcmp(name, "blocked") == 0) {
		fw->blocked_list = true;
		return 0;
	}
	if (detector_from_name(name, &d) < 0)
		return -1;
	fw->detectors[d] = true;
	return 0;
}

static int set_detectors(struct loader *ld, const config_setting_t *s)
{
	struct firewall_config *fw = &ld->cfg->firewall;
	int n = loader_string_list_length(ld, s);

	if (n < 0)
		return -1;
	memset(fw->detectors, 0, sizeof(fw->detectors));
	fw->blocked_list = false;
	for (int i = 0; i < n; i++) {
		if (config_firewall_detector(fw, loader_list_string(s, i)) < 0)
			return loader_fail_key(ld, config_setting_get_elem(s,
			    (unsigned)i), "\"%s\" is not dos, dha, attack, manual "
			    "or blocked", loader_list_string(s, i));
	}
	return 0;
}

static int set_max_elements(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, FIREWALL_MAX_ELEMENTS_MAX,
	    &ld->cfg->firewall.max_elements);
}

static const struct config_key config_firewall_keys[] = {
	{ "enabled", set_enabled },
	{ "table", set_table },
	{ "family", set_family },
	{ "set4", set_set4 },
	{ "set6", set_set6 },
	{ "detectors", set_detectors },
	{ "max_elements", set_max_elements },
	{ NULL, NULL }
};

int config_set_firewall(struct loader *ld, const config_setting_t *s)
{
	return loader_walk_group(ld, s, config_firewall_keys);
}

int config_firewall_check(struct loader *ld, const config_t *lc)
{
	const struct config *cfg = ld->cfg;
	const config_setting_t *where;
	char path[32];

	if (!cfg->firewall.enabled)
		return 0;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (!cfg->firewall.detectors[d] || !cfg->rules[d].sliding)
			continue;
		snprintf(path, sizeof(path), "%s.sliding", detector_name(d));
		if ((where = config_lookup(lc, path)) == NULL)
			where = config_lookup(lc, "firewall");
		return loader_fail_key(ld, where, "a sliding "
		    "block cannot be enforced by the firewall, which hides the "
		    "retries that extend it: set it to false, or take %s out of "
		    "firewall.detectors", detector_name(d));
	}
	return 0;
}
