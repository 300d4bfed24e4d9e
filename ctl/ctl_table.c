/*
 * ctl_table.c - text fit for a terminal, and aligned tables.  See ctl.h.
 *
 * Widths count characters, not bytes, of UTF-8 text, so a reason with
 * accents does not shift the next column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "escape.h"
#include "xalloc.h"

char *ctl_clean(const char *text)
{
	size_t size = ESCAPE_SIZE(strlen(text));

	return escape(text, ESCAPE_TERMINAL, xmalloc(size), size);
}

static size_t ctl_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

void ctl_table_init(struct ctl_table *t, size_t columns,
    const char *const *header)
{
	memset(t, 0, sizeof(*t));
	t->columns = columns;
	ctl_table_add(t, header);
}

void ctl_table_add(struct ctl_table *t, const char *const *row)
{
	if (t->rows == t->size) {
		t->size = t->size ? t->size * 2 : 16;
		t->cells = xrealloc(t->cells, t->size * t->columns,
		    sizeof(*t->cells));
	}
	for (size_t c = 0; c < t->columns; c++)
		t->cells[t->rows * t->columns + c] = ctl_clean(row[c]);
	t->rows++;
}

void ctl_table_print(const struct ctl_table *t, FILE *out)
{
	size_t *widths = xcalloc(t->columns, sizeof(*widths));

	for (size_t i = 0; i < t->rows * t->columns; i++) {
		size_t w = ctl_width(t->cells[i]);

		if (w > widths[i % t->columns])
			widths[i % t->columns] = w;
	}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->columns; c++) {
			const char *cell = t->cells[r * t->columns + c];

			if (c + 1 == t->columns) {
				fprintf(out, "%s\n", cell);
				break;
			}
			fprintf(out, "%s%*s", cell,
			    (int)(widths[c] - ctl_width(cell) + 2), "");
		}
	}
	free(widths);
}

void ctl_table_free(struct ctl_table *t)
{
	for (size_t i = 0; i < t->rows * t->columns; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
