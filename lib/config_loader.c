/*
 * config_loader.c - typed reads of libconfig settings with "file:line:
 * key: what" errors.  See config_loader.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "duration.h"
#include "xalloc.h"

#define KEY_PATH_MAX	128

/* Error reports: "file:line: what", the key named with its group path. */

static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t n;

	if (parent == NULL) {
		buf[0] = '\0';
	} else if (config_setting_name(s) == NULL) {
		/* A list element is reported under its list's name. */
		setting_path(parent, buf, len);
	} else if (config_setting_is_root(parent)) {
		snprintf(buf, len, "%s", config_setting_name(s));
	} else {
		setting_path(parent, buf, len);
		n = strlen(buf);
		snprintf(buf + n, len - n, ".%s", config_setting_name(s));
	}
}

/* Write "file:line: " for s; return how much of err it took. */
static size_t loader_where(const struct loader *ld, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);
	int n;

	n = snprintf(ld->err, ld->errlen, "%s:%u: ",
	    file != NULL ? file : ld->path,
	    (unsigned)config_setting_source_line(s));
	if (n < 0)
		return 0;
	if ((size_t)n >= ld->errlen)
		return ld->errlen > 0 ? ld->errlen - 1 : 0;
	return (size_t)n;
}

/*
 * Values quoted in an error may hold any byte: the message stays one line
 * of printable text, whatever prints it.
 */
static void loader_sanitize(char *text)
{
	for (; *text != '\0'; text++) {
		if ((unsigned char)*text < ' ' || (unsigned char)*text > '~')
			*text = '?';
	}
}

static void loader_vfail(const struct loader *ld, const config_setting_t *s,
    bool with_key, const char *fmt, va_list ap)
{
	char key[KEY_PATH_MAX];
	size_t n = loader_where(ld, s);

	if (with_key) {
		setting_path(s, key, sizeof(key));
		n += (size_t)snprintf(ld->err + n, ld->errlen - n, "%s: ", key);
	}
	if (n < ld->errlen)
		vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
	loader_sanitize(ld->err);
}

/* Report a problem at s; always returns -1. */
int loader_fail(const struct loader *ld, const config_setting_t *s,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loader_vfail(ld, s, false, fmt, ap);
	va_end(ap);
	return -1;
}

/* Report a problem with the value of s, naming its key; returns -1. */
int loader_fail_key(const struct loader *ld, const config_setting_t *s,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loader_vfail(ld, s, true, fmt, ap);
	va_end(ap);
	return -1;
}

/* Typed values. */

static bool setting_is_int(const config_setting_t *s)
{
	return config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64;
}

int loader_get_bool(struct loader *ld, const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return loader_fail_key(ld, s, "expected true or false");
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

int loader_get_uint(struct loader *ld, const config_setting_t *s,
    unsigned min, unsigned max, unsigned *out)
{
	long long v;

	if (!setting_is_int(s))
		return loader_fail_key(ld, s, "expected an integer");
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return loader_fail_key(ld, s, "%lld is out of range (%u..%u)", v, min,
		    max);
	*out = (unsigned)v;
	return 0;
}

/* The string value of s, or NULL when it is not a string. */
const char *loader_get_string(struct loader *ld, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		loader_fail_key(ld, s, "expected a string");
		return NULL;
	}
	return config_setting_get_string(s);
}

void loader_replace_string(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

int loader_set_string(struct loader *ld, const config_setting_t *s,
    char **field)
{
	const char *text;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	loader_replace_string(field, text);
	return 0;
}

/* "a, b or c" */
static void enum_names(const struct name_value *table, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; table[i].name != NULL && o < len; i++) {
		const char *sep = i == 0 ? "" :
		    table[i + 1].name == NULL ? " or " : ", ";

		o += (size_t)snprintf(buf + o, len - o, "%s%s", sep,
		    table[i].name);
	}
}

int loader_enum_lookup(const struct name_value *table, const char *name,
    int *out)
{
	for (size_t i = 0; table[i].name != NULL; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*out = table[i].value;
			return 0;
		}
	}
	return -1;
}

int loader_fail_enum(struct loader *ld, const config_setting_t *s,
    const struct name_value *table, const char *value)
{
	char names[256];

	enum_names(table, names, sizeof(names));
	return loader_fail_key(ld, s, "unknown value \"%s\" (expected %s)", value,
	    names);
}

int loader_get_enum(struct loader *ld, const config_setting_t *s,
    const struct name_value *table, int *out)
{
	const char *text;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	if (loader_enum_lookup(table, text, out) < 0)
		return loader_fail_enum(ld, s, table, text);
	return 0;
}

int loader_get_duration(struct loader *ld, const config_setting_t *s,
    unsigned *out)
{
	const char *text;

	if (setting_is_int(s))
		return loader_get_uint(ld, s, 1, DURATION_MAX, out);
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return loader_fail_key(ld, s, "expected a duration (seconds, or a "
		    "string such as \"10m\")");
	text = config_setting_get_string(s);
	if (duration_parse(text, out) < 0)
		return loader_fail_key(ld, s, "invalid duration \"%s\" (expected "
		    "seconds, or a number followed by s, m, h or d, at most "
		    "%ud)", text, DURATION_MAX / 86400);
	if (*out == 0)
		return loader_fail_key(ld, s, "the duration must not be 0");
	return 0;
}

/* The elements of s, all strings; return how many, or -1. */
int loader_string_list_length(struct loader *ld, const config_setting_t *s)
{
	int n = config_setting_length(s);

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return loader_fail_key(ld, s, "expected a list of strings");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return loader_fail_key(ld, e, "expected a list of strings");
	}
	return n;
}

const char *loader_list_string(const config_setting_t *s, int i)
{
	return config_setting_get_string_elem(s, i);
}

/* Groups. */

static const struct config_key *key_find(const struct config_key *keys,
    const char *name)
{
	for (; keys->name != NULL; keys++) {
		if (strcmp(keys->name, name) == 0)
			return keys;
	}
	return NULL;
}

int loader_walk_group(struct loader *ld, const config_setting_t *group,
    const struct config_key *keys)
{
	char key[KEY_PATH_MAX];

	if (!config_setting_is_group(group))
		return loader_fail_key(ld, group, "expected a group { ... }");
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group,
		    (unsigned)i);
		const struct config_key *k = key_find(keys,
		    config_setting_name(s));

		if (k == NULL) {
			setting_path(s, key, sizeof(key));
			return loader_fail(ld, s, "unknown key \"%s\"", key);
		}
		if (k->set(ld, s) < 0)
			return -1;
	}
	return 0;
}

void loader_free_strings(char **strings, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(strings[i]);
	free(strings);
}
