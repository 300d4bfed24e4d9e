/*
 * json.h - the JSON documents of the control protocol: a writer for the
 * daemon's answers and a parser for bulwarkctl.
 *
 * Writer.  json_init() starts an empty document; each json_* call adds one
 * value, named by key inside an object (key is ignored elsewhere, pass
 * NULL).  Calls must nest properly (begin/end pairs); the writer adds the
 * commas.  json_finish() returns the document, NUL-terminated and
 * malloc'd, and leaves the writer empty.  Strings may hold any bytes: '"',
 * '\\' and control characters are escaped, valid UTF-8 is kept and every
 * byte that is not part of valid UTF-8 becomes U+FFFD, so the document is
 * always valid JSON.  Nothing here fails (allocation aborts).
 *
 * Parser.  json_parse() reads one JSON value (RFC 8259) that fills text
 * up to trailing blanks, nested at most JSON_DEPTH_MAX deep.  It returns
 * the value tree, or NULL with "offset N: what" in err.  Strings are
 * decoded to UTF-8 (surrogate pairs joined; a lone surrogate is an
 * error) and NUL-terminated; one that holds \u0000 keeps it, and len
 * says how long it is.  Numbers are kept as doubles, and as an integer
 * when they have no fraction or exponent and fit in 64 bits.
 * json_free() accepts NULL.  json_get() returns an object's member
 * (the first of that name), or NULL when obj is not an object or lacks
 * it; the json_get_* helpers return the member's value, or def when the
 * member is missing or of another type.
 */
#ifndef BULWARK_JSON_H
#define BULWARK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 64

struct json_writer {
	char *buf;
	size_t len;
	size_t size;
	unsigned depth;
	bool first[JSON_DEPTH_MAX + 1];	/* no value yet at this depth */
};

void json_init(struct json_writer *w);
void json_object_begin(struct json_writer *w, const char *key);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w, const char *key);
void json_array_end(struct json_writer *w);
/* value NULL writes null. */
void json_string(struct json_writer *w, const char *key, const char *value);
void json_int(struct json_writer *w, const char *key, int64_t value);
void json_bool(struct json_writer *w, const char *key, bool value);
void json_null(struct json_writer *w, const char *key);
char *json_finish(struct json_writer *w);

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_value {
	enum json_type type;
	bool boolean;
	double number;
	bool is_integer;		/* integer holds the number exactly */
	int64_t integer;
	char *string;			/* JSON_STRING */
	size_t len;
	struct json_value *items;	/* JSON_ARRAY and JSON_OBJECT members */
	char **keys;			/* JSON_OBJECT: the members' names */
	size_t count;
};

struct json_value *json_parse(const char *text, size_t len, char *err,
    size_t errlen);
void json_free(struct json_value *value);
const struct json_value *json_get(const struct json_value *obj,
    const char *key);
const char *json_get_string(const struct json_value *obj, const char *key,
    const char *def);
int64_t json_get_int(const struct json_value *obj, const char *key,
    int64_t def);
bool json_get_bool(const struct json_value *obj, const char *key, bool def);

#endif
