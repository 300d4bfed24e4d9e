/*
 * json.c - see json.h.
 *
 * The parser is recursive descent over the text with a depth limit, so
 * a hostile document can neither overflow the stack nor make it read
 * past len.  Arrays and objects grow by doubling.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

/* Writer. */

void json_init(struct json_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->first[0] = true;
}

static void json_put(struct json_writer *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->size) {
		while (w->len + n + 1 > w->size)
			w->size = w->size ? w->size * 2 : 256;
		w->buf = xrealloc(w->buf, w->size, 1);
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void json_puts(struct json_writer *w, const char *s)
{
	json_put(w, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t json_utf8_length(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;	/* no overlong form */
		hi = s[0] == 0xed ? 0x9f : 0xbf;	/* no surrogate */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;	/* at most U+10FFFF */
	} else {
		return 0;
	}
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return need + 1;
}

static void json_put_escape(struct json_writer *w, unsigned char c)
{
	char esc[8];

	switch (c) {
	case '"':
		json_puts(w, "\\\"");
		break;
	case '\\':
		json_puts(w, "\\\\");
		break;
	case '\n':
		json_puts(w, "\\n");
		break;
	case '\t':
		json_puts(w, "\\t");
		break;
	default:
		snprintf(esc, sizeof(esc), "\\u%04x", c);
		json_puts(w, esc);
	}
}

static void json_put_string(struct json_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;

	json_put(w, "\"", 1);
	while (left > 0) {
		if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f) {
			json_put_escape(w, *p);
			n = 1;
		} else if ((n = json_utf8_length(p, left)) > 0) {
			json_put(w, (const char *)p, n);
		} else {
			json_puts(w, "\\ufffd");
			n = 1;
		}
		p += n;
		left -= n;
	}
	json_put(w, "\"", 1);
}

/* The separator and the key that come before a value. */
static void json_member(struct json_writer *w, const char *key)
{
	if (!w->first[w->depth])
		json_put(w, ",", 1);
	w->first[w->depth] = false;
	if (key != NULL && w->depth > 0) {
		json_put_string(w, key);
		json_put(w, ":", 1);
	}
}

static void json_open(struct json_writer *w, const char *key, const char *c)
{
	json_member(w, key);
	json_puts(w, c);
	if (w->depth == JSON_DEPTH_MAX)
		abort();	/* a fixed document shape cannot get here */
	w->first[++w->depth] = true;
}

static void json_close(struct json_writer *w, const char *c)
{
	json_puts(w, c);
	if (w->depth > 0)
		w->depth--;
}

void json_object_begin(struct json_writer *w, const char *key)
{
	json_open(w, key, "{");
}

void json_object_end(struct json_writer *w)
{
	json_close(w, "}");
}

void json_array_begin(struct json_writer *w, const char *key)
{
	json_open(w, key, "[");
}

void json_array_end(struct json_writer *w)
{
	json_close(w, "]");
}

void json_string(struct json_writer *w, const char *key, const char *value)
{
	json_member(w, key);
	if (value == NULL)
		json_puts(w, "null");
	else
		json_put_string(w, value);
}

void json_int(struct json_writer *w, const char *key, int64_t value)
{
	char text[32];

	json_member(w, key);
	snprintf(text, sizeof(text), "%" PRId64, value);
	json_puts(w, text);
}

void json_bool(struct json_writer *w, const char *key, bool value)
{
	json_member(w, key);
	json_puts(w, value ? "true" : "false");
}

void json_null(struct json_writer *w, const char *key)
{
	json_member(w, key);
	json_puts(w, "null");
}

char *json_finish(struct json_writer *w)
{
	char *doc = w->buf != NULL ? w->buf : xstrdup("");

	json_init(w);
	return doc;
}

/* Parser. */

struct json_parser {
	const char *start;
	const char *p;
	const char *end;
	unsigned depth;
	char *err;
	size_t errlen;
};

/* A growing byte string. */
struct json_text {
	char *buf;
	size_t len;
	size_t size;
};

static int json_parse_value(struct json_parser *jp, struct json_value *out);

static int json_fail(struct json_parser *jp, const char *what)
{
	snprintf(jp->err, jp->errlen, "offset %zu: %s",
	    (size_t)(jp->p - jp->start), what);
	return -1;
}

static void json_skip_blanks(struct json_parser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

/* Consume the literal word; 0, or -1 when the text differs. */
static int json_word(struct json_parser *jp, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return json_fail(jp, "unexpected character");
	jp->p += n;
	return 0;
}

static void json_text_add(struct json_text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->size) {
		while (t->len + n + 1 > t->size)
			t->size = t->size ? t->size * 2 : 32;
		t->buf = xrealloc(t->buf, t->size, 1);
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void json_text_add_code_point(struct json_text *t, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	json_text_add(t, u, n);
}

/* Four hex digits after "\u"; -1 when they are not. */
static int json_hex4(struct json_parser *jp, uint32_t *out)
{
	uint32_t v = 0;

	if (jp->end - jp->p < 4)
		return json_fail(jp, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = *jp->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return json_fail(jp, "bad hex digit in \\u escape");
	}
	*out = v;
	return 0;
}

/* A \u escape (after the "\u"), a surrogate pair taken whole. */
static int json_unicode_escape(struct json_parser *jp, struct json_text *t)
{
	uint32_t cp, low;

	if (json_hex4(jp, &cp) < 0)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return json_fail(jp, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (jp->end - jp->p < 2 || jp->p[0] != '\\' || jp->p[1] != 'u')
			return json_fail(jp, "lone high surrogate");
		jp->p += 2;
		if (json_hex4(jp, &low) < 0)
			return -1;
		if (low < 0xdc00 || low > 0xdfff)
			return json_fail(jp, "lone high surrogate");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	json_text_add_code_point(t, cp);
	return 0;
}

static int json_escape(struct json_parser *jp, struct json_text *t)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (jp->p == jp->end)
		return json_fail(jp, "unterminated string");
	if (*jp->p == 'u') {
		jp->p++;
		return json_unicode_escape(jp, t);
	}
	if ((hit = memchr(from, *jp->p, sizeof(from) - 1)) == NULL)
		return json_fail(jp, "unknown escape");
	json_text_add(t, &to[hit - from], 1);
	jp->p++;
	return 0;
}

/* Plain characters up to the next quote or backslash. */
static int json_plain(struct json_parser *jp, struct json_text *t)
{
	const unsigned char *p = (const unsigned char *)jp->p;
	size_t n;

	if (*p < 0x20)
		return json_fail(jp, "control character in string");
	n = json_utf8_length(p, (size_t)(jp->end - jp->p));
	if (n == 0)
		return json_fail(jp, "invalid UTF-8 in string");
	json_text_add(t, jp->p, n);
	jp->p += n;
	return 0;
}

/* A string, its opening quote already consumed. */
static int json_parse_string(struct json_parser *jp, char **out, size_t *len)
{
	struct json_text t = { NULL, 0, 0 };
	int rc = 0;

	json_text_add(&t, "", 0);
	while (rc == 0) {
		if (jp->p == jp->end) {
			rc = json_fail(jp, "unterminated string");
		} else if (*jp->p == '"') {
			jp->p++;
			break;
		} else if (*jp->p == '\\') {
			jp->p++;
			rc = json_escape(jp, &t);
		} else {
			rc = json_plain(jp, &t);
		}
	}
	if (rc < 0) {
		free(t.buf);
		return -1;
	}
	*out = t.buf;
	*len = t.len;
	return 0;
}

static size_t json_digits(struct json_parser *jp)
{
	const char *from = jp->p;

	while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
		jp->p++;
	return (size_t)(jp->p - from);
}

static int json_parse_number(struct json_parser *jp, struct json_value *out)
{
	const char *from = jp->p;
	bool integral = true;
	char text[64];

	if (jp->p < jp->end && *jp->p == '-')
		jp->p++;
	if (jp->p < jp->end && *jp->p == '0')
		jp->p++;
	else if (json_digits(jp) == 0)
		return json_fail(jp, "bad number");
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		integral = false;
		if (json_digits(jp) == 0)
			return json_fail(jp, "bad number");
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		jp->p++;
		integral = false;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (json_digits(jp) == 0)
			return json_fail(jp, "bad number");
	}
	if ((size_t)(jp->p - from) >= sizeof(text))
		return json_fail(jp, "number too long");
	snprintf(text, sizeof(text), "%.*s", (int)(jp->p - from), from);
	out->type = JSON_NUMBER;
	out->number = strtod(text, NULL);
	errno = 0;
	out->integer = strtoll(text, NULL, 10);
	out->is_integer = integral && errno == 0;
	return 0;
}

static struct json_value *json_add_item(struct json_value *v, size_t *size)
{
	if (v->count == *size) {
		*size = *size ? *size * 2 : 8;
		v->items = xrealloc(v->items, *size, sizeof(*v->items));
		if (v->type == JSON_OBJECT)
			v->keys = xrealloc(v->keys, *size, sizeof(*v->keys));
	}
	memset(&v->items[v->count], 0, sizeof(v->items[0]));
	return &v->items[v->count];
}

/* After an element: 1 when another follows, 0 at the closing bracket. */
static int json_next(struct json_parser *jp, char close)
{
	json_skip_blanks(jp);
	if (jp->p < jp->end && *jp->p == ',') {
		jp->p++;
		return 1;
	}
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return 0;
	}
	return json_fail(jp, close == ']' ? "expected ',' or ']'" :
	    "expected ',' or '}'");
}

/* Whether the container is empty; its opening bracket is consumed. */
static bool json_empty(struct json_parser *jp, char close)
{
	json_skip_blanks(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return true;
	}
	return false;
}

static int json_parse_array(struct json_parser *jp, struct json_value *out)
{
	size_t size = 0;
	int more;

	out->type = JSON_ARRAY;
	if (json_empty(jp, ']'))
		return 0;
	do {
		struct json_value *item = json_add_item(out, &size);

		/* Counted first, so whatever it holds is freed on error. */
		out->count++;
		if (json_parse_value(jp, item) < 0)
			return -1;
	} while ((more = json_next(jp, ']')) == 1);
	return more;
}

static int json_parse_member(struct json_parser *jp, struct json_value *out,
    size_t *size)
{
	struct json_value *item = json_add_item(out, size);
	size_t len;

	json_skip_blanks(jp);
	if (jp->p == jp->end || *jp->p != '"')
		return json_fail(jp, "expected a member name");
	jp->p++;
	if (json_parse_string(jp, &out->keys[out->count], &len) < 0)
		return -1;
	/* Counted now, so its name is freed on any error. */
	out->count++;
	json_skip_blanks(jp);
	if (jp->p == jp->end || *jp->p != ':')
		return json_fail(jp, "expected ':'");
	jp->p++;
	return json_parse_value(jp, item);
}

static int json_parse_object(struct json_parser *jp, struct json_value *out)
{
	size_t size = 0;
	int more;

	out->type = JSON_OBJECT;
	if (json_empty(jp, '}'))
		return 0;
	do {
		if (json_parse_member(jp, out, &size) < 0)
			return -1;
	} while ((more = json_next(jp, '}')) == 1);
	return more;
}

static int json_parse_container(struct json_parser *jp,
    struct json_value *out, char open)
{
	int rc;

	if (jp->depth == JSON_DEPTH_MAX)
		return json_fail(jp, "nested too deep");
	jp->depth++;
	jp->p++;
	rc = open == '[' ? json_parse_array(jp, out) :
	    json_parse_object(jp, out);
	jp->depth--;
	return rc;
}

static int json_parse_value(struct json_parser *jp, struct json_value *out)
{
	json_skip_blanks(jp);
	if (jp->p == jp->end)
		return json_fail(jp, "unexpected end");
	switch (*jp->p) {
	case '{':
	case '[':
		return json_parse_container(jp, out, *jp->p);
	case '"':
		jp->p++;
		out->type = JSON_STRING;
		return json_parse_string(jp, &out->string, &out->len);
	case 't':
		out->type = JSON_BOOL;
		out->boolean = true;
		return json_word(jp, "true");
	case 'f':
		out->type = JSON_BOOL;
		return json_word(jp, "false");
	case 'n':
		out->type = JSON_NULL;
		return json_word(jp, "null");
	default:
		return json_parse_number(jp, out);
	}
}

static void json_free_members(struct json_value *v)
{
	for (size_t i = 0; i < v->count; i++) {
		json_free_members(&v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
}

struct json_value *json_parse(const char *text, size_t len, char *err,
    size_t errlen)
{
	struct json_parser jp = { text, text, text + len, 0, err, errlen };
	struct json_value *v = xcalloc(1, sizeof(*v));

	if (json_parse_value(&jp, v) == 0) {
		json_skip_blanks(&jp);
		if (jp.p == jp.end)
			return v;
		json_fail(&jp, "text after the value");
	}
	json_free(v);
	return NULL;
}

void json_free(struct json_value *value)
{
	if (value == NULL)
		return;
	json_free_members(value);
	free(value);
}

const struct json_value *json_get(const struct json_value *obj,
    const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->count; i++) {
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	}
	return NULL;
}

const char *json_get_string(const struct json_value *obj, const char *key,
    const char *def)
{
	const struct json_value *v = json_get(obj, key);

	return v != NULL && v->type == JSON_STRING ? v->string : def;
}

int64_t json_get_int(const struct json_value *obj, const char *key,
    int64_t def)
{
	const struct json_value *v = json_get(obj, key);

	return v != NULL && v->type == JSON_NUMBER && v->is_integer ?
	    v->integer : def;
}

bool json_get_bool(const struct json_value *obj, const char *key, bool def)
{
	const struct json_value *v = json_get(obj, key);

	return v != NULL && v->type == JSON_BOOL ? v->boolean : def;
}
