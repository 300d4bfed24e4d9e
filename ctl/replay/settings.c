/*
 * settings.c - the configuration a replay runs with: the file, then
 * every --set KEY=VALUE.  See replay.h.
 *
 * The file is parsed by the library's loader (config_load_edited());
 * before it is checked, each KEY (a path such as "dos.max_connections",
 * its groups created when missing) gets VALUE, read as a libconfig value
 * ("10", "true", "[ \"10.0.0.0/8\" ]", "\"1m\"") or, when it is not one,
 * as a bare string ("1m", "reject").  So a --set is checked exactly like
 * the same line in the file, and an error in it names the --set.
 */
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "xalloc.h"

struct settings_edit {
	const struct setting *set;
	size_t count;
};

int settings_split(char *text, struct setting *out)
{
	char *eq = strchr(text, '=');

	if (eq == NULL || eq == text)
		return -1;
	*eq = '\0';
	out->key = text;
	out->value = eq + 1;
	return 0;
}

static void settings_copy(config_setting_t *to, const config_setting_t *from)
{
	switch (config_setting_type(from)) {
	case CONFIG_TYPE_INT:
		config_setting_set_int(to, config_setting_get_int(from));
		break;
	case CONFIG_TYPE_INT64:
		config_setting_set_int64(to, config_setting_get_int64(from));
		break;
	case CONFIG_TYPE_FLOAT:
		config_setting_set_float(to, config_setting_get_float(from));
		break;
	case CONFIG_TYPE_BOOL:
		config_setting_set_bool(to, config_setting_get_bool(from));
		break;
	case CONFIG_TYPE_STRING:
		config_setting_set_string(to, config_setting_get_string(from));
		break;
	default:
		for (int i = 0; i < config_setting_length(from); i++) {
			const config_setting_t *elem = config_setting_get_elem(from,
			    (unsigned)i);

			settings_copy(config_setting_add(to,
			    config_setting_name(elem), config_setting_type(elem)),
			    elem);
		}
		break;
	}
}

/* VALUE as a libconfig value in tmp, or else as a string. */
static const config_setting_t *settings_value(config_t *tmp,
    const char *value)
{
	size_t len = strlen(value) + 16;
	char *text = xmalloc(len);
	config_setting_t *v;

	snprintf(text, len, "v = %s;", value);
	if (strpbrk(value, ";\n@") == NULL && config_read_string(tmp, text)) {
		free(text);
		return config_lookup(tmp, "v");
	}
	free(text);
	config_destroy(tmp);
	config_init(tmp);
	v = config_setting_add(config_root_setting(tmp), "v", CONFIG_TYPE_STRING);
	if (v == NULL || config_setting_set_string(v, value) == CONFIG_FALSE)
		return NULL;
	return v;
}

/* The group that holds the last part of key, created when missing. */
static config_setting_t *settings_parent(config_t *tree, const char *key,
    const char **name, char *err, size_t errlen)
{
	config_setting_t *group = config_root_setting(tree), *next;
	char part[128];
	const char *p = key, *dot;

	while ((dot = strchr(p, '.')) != NULL) {
		if ((size_t)(dot - p) >= sizeof(part) || dot == p)
			goto bad;
		memcpy(part, p, (size_t)(dot - p));
		part[dot - p] = '\0';
		next = config_setting_get_member(group, part);
		if (next == NULL)
			next = config_setting_add(group, part, CONFIG_TYPE_GROUP);
		if (next == NULL || !config_setting_is_group(next))
			goto bad;
		group = next;
		p = dot + 1;
	}
	*name = p;
	return group;
bad:
	snprintf(err, errlen, "--set %s: not a key of the configuration", key);
	return NULL;
}

static int settings_apply(config_t *tree, const struct setting *set,
    char *err, size_t errlen)
{
	config_setting_t *parent, *to;
	const config_setting_t *from;
	const char *name;
	config_t tmp;
	int rc = -1;

	if ((parent = settings_parent(tree, set->key, &name, err, errlen)) == NULL)
		return -1;
	config_init(&tmp);
	if ((from = settings_value(&tmp, set->value)) == NULL) {
		snprintf(err, errlen, "--set %s: cannot read the value", set->key);
	} else {
		if (config_setting_get_member(parent, name) != NULL)
			config_setting_remove(parent, name);
		to = config_setting_add(parent, name, config_setting_type(from));
		if (to == NULL) {
			snprintf(err, errlen, "--set %s: not a key of the "
			    "configuration", set->key);
		} else {
			settings_copy(to, from);
			rc = 0;
		}
	}
	config_destroy(&tmp);
	return rc;
}

static int settings_force(config_t *tree, const char *key, const char *value,
    char *err, size_t errlen)
{
	struct setting set = { key, value };

	return settings_apply(tree, &set, err, errlen);
}

static int settings_edit(struct config_t *tree, void *arg, char *err,
    size_t errlen)
{
	const struct settings_edit *edit = arg;

	for (size_t i = 0; i < edit->count; i++) {
		if (settings_apply(tree, &edit->set[i], err, errlen) < 0)
			return -1;
	}
	if (settings_force(tree, "store", "\"memory\"", err, errlen) < 0 ||
	    settings_force(tree, "monitor_only", "false", err, errlen) < 0)
		return -1;
	return 0;
}

/* "file:0: key: what" came from a --set: name it. */
static void settings_blame(const char *path, const struct setting *set,
    size_t count, char *err, size_t errlen)
{
	size_t n = strlen(path);
	char *what, *copy;

	if (strncmp(err, path, n) != 0 || strncmp(err + n, ":0: ", 4) != 0)
		return;
	what = err + n + 4;
	for (size_t i = 0; i < count; i++) {
		size_t k = strlen(set[i].key);

		if (strncmp(what, set[i].key, k) == 0 && what[k] == ':') {
			copy = xstrdup(what + k + 1);
			snprintf(err, errlen, "--set %s=%s:%s", set[i].key,
			    set[i].value, copy);
			free(copy);
			return;
		}
	}
	copy = xstrdup(what);
	snprintf(err, errlen, "--set: %s", copy);
	free(copy);
}

struct config *settings_load(const char *path, const struct setting *set,
    size_t count, char *err, size_t errlen)
{
	struct settings_edit edit = { set, count };
	struct config *cfg;

	cfg = config_load_edited(path, settings_edit, &edit, err, errlen);
	if (cfg == NULL)
		settings_blame(path != NULL ? path : "(defaults)", set, count,
		    err, errlen);
	return cfg;
}
