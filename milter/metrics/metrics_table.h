/*
 * metrics_table.h - the metrics as a table of samples: what both
 * renderers read (metrics_text.c, the Prometheus text; metrics_json.c,
 * the counters of the status answer).  Nothing renders and reads back.
 *
 * metrics_table_build() fills t from the counters (metrics_read()) and,
 * when store is not NULL, from the store: the blocks in force at now by
 * detector (walking the store's blocks; that family is left out when the
 * walk fails) and whether the store is degraded; last, the firewall's
 * counters (firewall_stats.h).  Families come in a fixed
 * order, each with its samples in a fixed order; the start time family
 * is left out until one is recorded.  Label values are fixed names
 * (detectors, actions, the store's backend, the version), never client
 * data.  Allocation failure aborts (xalloc).  metrics_table_free()
 * releases what build took.
 *
 * metrics_sample_name() writes the name a sample is shown under: the
 * family's name, the sample's suffix, and its labels as {a="x",b="y"}
 * with their values escaped (ESCAPE_LABEL), cut to fit len.  Returns buf.
 * metrics_type_name() is the type as the text format writes it.
 */
#ifndef BULWARK_METRICS_TABLE_H
#define BULWARK_METRICS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define METRICS_SAMPLE_LABELS	2
#define METRICS_NAME_MAX	256

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM
};

struct metrics_label {
	const char *name;		/* NULL: no label */
	const char *value;
};

struct metrics_sample {
	const char *suffix;		/* histograms: _bucket, _sum, _count */
	struct metrics_label labels[METRICS_SAMPLE_LABELS];
	uint64_t value;
	bool nanoseconds;		/* value is in ns, shown in seconds */
};

struct metrics_family {
	const char *name;
	enum metrics_type type;
	const char *help;
	size_t first;			/* its samples in the table's */
	size_t count;
};

struct metrics_table {
	struct metrics_family *families;
	size_t nfamilies;
	struct metrics_sample *samples;
	size_t nsamples;
	size_t families_size;
	size_t samples_size;
};

void metrics_table_build(struct metrics_table *t, struct store *store,
    int64_t now);
void metrics_table_free(struct metrics_table *t);
char *metrics_sample_name(const struct metrics_family *f,
    const struct metrics_sample *s, char *buf, size_t len);
const char *metrics_type_name(enum metrics_type type);

#endif
