/*
 * metrics_text.h - the metrics in the Prometheus text format (version
 * 0.0.4), as GET /metrics and the control command metrics answer them.
 *
 * metrics_text() writes every family of t: its HELP and TYPE lines, then
 * one line per sample, "name{labels} value" (a value in nanoseconds is
 * written in seconds with nine decimals).  metrics_render() does the
 * same for a table built afresh (metrics_table_build() with store and
 * now).  Both return the text, malloc'd, for the caller to free; they
 * never fail (allocation failure aborts).
 */
#ifndef BULWARK_METRICS_TEXT_H
#define BULWARK_METRICS_TEXT_H

#include <stdint.h>

#include "metrics_table.h"
#include "store.h"

char *metrics_text(const struct metrics_table *t);
char *metrics_render(struct store *store, int64_t now);

#endif
