/*
 * metrics_json.h - the counters and gauges of the metrics as JSON, for
 * the status answer of the control socket.
 *
 * metrics_json() returns a new array (the caller owns the reference)
 * with one { "name": N, "value": V } per sample of t's counter and gauge
 * families, in the table's order; N is the name the Prometheus text
 * shows the sample under (metrics_sample_name()).  Histograms are left
 * out.
 */
#ifndef BULWARK_METRICS_JSON_H
#define BULWARK_METRICS_JSON_H

#include <jansson.h>

#include "metrics_table.h"

json_t *metrics_json(const struct metrics_table *t);

#endif
