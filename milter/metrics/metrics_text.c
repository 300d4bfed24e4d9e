/*
 * metrics_text.c - see metrics_text.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics_text.h"
#include "xalloc.h"

/* The text, grown as it is written. */
struct text {
	char *data;
	size_t len;
	size_t size;
};

static void text_printf(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->data + t->len, t->size - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < t->size - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->size = t->size * 2 + (size_t)n;
		t->data = xrealloc(t->data, t->size, 1);
	}
}

static void text_sample(struct text *t, const struct metrics_family *f,
    const struct metrics_sample *s)
{
	char name[METRICS_NAME_MAX];
	unsigned long long v = (unsigned long long)s->value;

	metrics_sample_name(f, s, name, sizeof(name));
	if (s->nanoseconds)
		text_printf(t, "%s %llu.%09llu\n", name, v / 1000000000u,
		    v % 1000000000u);
	else
		text_printf(t, "%s %llu\n", name, v);
}

char *metrics_text(const struct metrics_table *table)
{
	struct text t = { xmalloc(8192), 0, 8192 };

	t.data[0] = '\0';
	for (size_t i = 0; i < table->nfamilies; i++) {
		const struct metrics_family *f = &table->families[i];

		text_printf(&t, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, metrics_type_name(f->type));
		for (size_t s = f->first; s < f->first + f->count; s++)
			text_sample(&t, f, &table->samples[s]);
	}
	return t.data;
}

char *metrics_render(struct store *store, int64_t now)
{
	struct metrics_table table;
	char *text;

	metrics_table_build(&table, store, now);
	text = metrics_text(&table);
	metrics_table_free(&table);
	return text;
}
