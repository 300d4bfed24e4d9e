/*
 * fuzz_json.c - the JSON parser bulwarkctl reads the daemon's answers
 * with, and the writer the daemon answers with.
 *
 * Parser: arbitrary bytes (not NUL-terminated, so a read past len is
 * caught).  A document it accepts is walked with the json_get helpers;
 * when it holds only integers and strings without NUL, it is written
 * again with the writer and must parse back to the same tree.
 * Writer: the input as one string value must give a document that
 * parses to valid UTF-8, to the same bytes when they were valid UTF-8.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The length of the UTF-8 sequence at s (RFC 3629), or 0 when invalid. */
static size_t utf8_char(const unsigned char *s, size_t left)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (n == 0 || s[0] >= 0xf8 || left < n)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (size_t i = 0; i < len; i += n) {
		if ((n = utf8_char(p + i, len - i)) == 0)
			return false;
	}
	return true;
}

/* Whether the writer can write v again as it is. */
static bool writable(const struct json_value *v)
{
	if (v->type == JSON_NUMBER && !v->is_integer)
		return false;
	if (v->type == JSON_STRING && strlen(v->string) != v->len)
		return false;
	for (size_t i = 0; i < v->count; i++) {
		if (!writable(&v->items[i]))
			return false;
	}
	return true;
}

static void walk(const struct json_value *v)
{
	if (v->type == JSON_STRING)
		check(v->string != NULL && v->string[v->len] == '\0' &&
		    utf8_valid(v->string, v->len));
	for (size_t i = 0; i < v->count; i++) {
		if (v->type == JSON_OBJECT) {
			const struct json_value *first = json_get(v, v->keys[i]);

			check(utf8_valid(v->keys[i], strlen(v->keys[i])));
			check(first != NULL && first <= &v->items[i]);
			json_get_string(v, v->keys[i], NULL);
			json_get_int(v, v->keys[i], 0);
			json_get_bool(v, v->keys[i], false);
		}
		walk(&v->items[i]);
	}
	check(json_get(v, "") == NULL || v->type == JSON_OBJECT);
}

static void write_value(struct json_writer *w, const char *key,
    const struct json_value *v)
{
	switch (v->type) {
	case JSON_NULL:
		json_null(w, key);
		break;
	case JSON_BOOL:
		json_bool(w, key, v->boolean);
		break;
	case JSON_NUMBER:
		json_int(w, key, v->integer);
		break;
	case JSON_STRING:
		json_string(w, key, v->string);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (v->type == JSON_ARRAY)
			json_array_begin(w, key);
		else
			json_object_begin(w, key);
		for (size_t i = 0; i < v->count; i++)
			write_value(w, v->type == JSON_OBJECT ? v->keys[i] : NULL,
			    &v->items[i]);
		if (v->type == JSON_ARRAY)
			json_array_end(w);
		else
			json_object_end(w);
		break;
	}
}

static bool same(const struct json_value *a, const struct json_value *b)
{
	if (a->type != b->type || a->count != b->count)
		return false;
	switch (a->type) {
	case JSON_BOOL:
		return a->boolean == b->boolean;
	case JSON_NUMBER:
		return b->is_integer && a->integer == b->integer;
	case JSON_STRING:
		return a->len == b->len && memcmp(a->string, b->string, a->len) == 0;
	default:
		break;
	}
	for (size_t i = 0; i < a->count; i++) {
		if (a->type == JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0)
			return false;
		if (!same(&a->items[i], &b->items[i]))
			return false;
	}
	return true;
}

static void check_rewrite(const struct json_value *v)
{
	struct json_writer w;
	struct json_value *back;
	char *doc, err[128];

	json_init(&w);
	write_value(&w, NULL, v);
	doc = json_finish(&w);
	back = json_parse(doc, strlen(doc), err, sizeof(err));
	check(back != NULL && same(v, back));
	json_free(back);
	free(doc);
}

static void check_parse(const uint8_t *data, size_t size)
{
	char err[128];
	struct json_value *v;

	memset(err, 0, sizeof(err));
	v = json_parse((const char *)data, size, err, sizeof(err));
	if (v == NULL) {
		check(strncmp(err, "offset ", 7) == 0);
		return;
	}
	walk(v);
	if (writable(v))
		check_rewrite(v);
	json_free(v);
}

static void check_writer(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *doc, err[128];
	struct json_writer w;
	struct json_value *v;
	size_t len;

	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);
	json_init(&w);
	json_array_begin(&w, NULL);
	json_string(&w, NULL, s);
	json_array_end(&w);
	doc = json_finish(&w);
	v = json_parse(doc, strlen(doc), err, sizeof(err));
	check(v != NULL && v->type == JSON_ARRAY && v->count == 1 &&
	    v->items[0].type == JSON_STRING);
	check(utf8_valid(v->items[0].string, v->items[0].len));
	if (utf8_valid(s, len))
		check(v->items[0].len == len &&
		    memcmp(v->items[0].string, s, len) == 0);
	json_free(v);
	free(doc);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_writer(data, size);
	return 0;
}
