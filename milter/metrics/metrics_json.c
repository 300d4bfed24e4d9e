/*
 * metrics_json.c - see metrics_json.h.
 */
#include "metrics_json.h"

json_t *metrics_json(const struct metrics_table *t)
{
	json_t *counters = json_array();
	char name[METRICS_NAME_MAX];

	for (size_t i = 0; i < t->nfamilies; i++) {
		const struct metrics_family *f = &t->families[i];

		if (f->type == METRICS_HISTOGRAM)
			continue;
		for (size_t s = f->first; s < f->first + f->count; s++) {
			metrics_sample_name(f, &t->samples[s], name,
			    sizeof(name));
			json_array_append_new(counters, json_pack("{s:s, s:I}",
			    "name", name, "value",
			    (json_int_t)t->samples[s].value));
		}
	}
	return counters;
}
