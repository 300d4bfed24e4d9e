/*
 * report_json.c - the replay as JSON (--json), built with jansson.
 *
 *   { "blocks": [ { "host", "detector", "start", "end", "count" } ],
 *     "hurt": [ { "host", "delivered" } ],
 *     "refused": { "connections", "recipients" },
 *     "lines": { "read", "unparsed" } }
 * hosts as bulwarkctl prints them, times as Unix seconds, hurt ranked as
 * in the text report.  With --sweep:
 *   { "key": KEY, "rows": [ { "value", "blocks", "hosts",
 *     "refused_connections", "refused_recipients", "hurt" } ] }
 */
#include <jansson.h>
#include <stdlib.h>

#include "replay.h"

static json_t *report_json_blocks(struct engine *e)
{
	json_t *list = json_array();
	size_t n;
	const struct replay_block *b = engine_blocks(e, &n);
	char host[ADDR_TEXT_MAX];

	for (size_t i = 0; i < n; i++) {
		host_key_format(&b[i].key, host, sizeof(host));
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:I, s:I}",
		    "host", host, "detector", detector_name(b[i].detector),
		    "start", (json_int_t)b[i].start, "end", (json_int_t)b[i].end,
		    "count", (json_int_t)b[i].count));
	}
	return list;
}

static json_t *report_json_hurt(struct engine *e)
{
	json_t *list = json_array();
	size_t n;
	struct replay_host *hurt = report_hurt(e, &n);
	char host[ADDR_TEXT_MAX];

	for (size_t i = 0; i < n; i++) {
		host_key_format(&hurt[i].host->key, host, sizeof(host));
		json_array_append_new(list, json_pack("{s:s, s:I}", "host", host,
		    "delivered", (json_int_t)hurt[i].host->delivered));
	}
	free(hurt);
	return list;
}

static int report_json_dump(FILE *out, json_t *doc)
{
	int rc = json_dumpf(doc, out, JSON_INDENT(2)) == 0 &&
	    fputc('\n', out) != EOF ? 0 : -1;

	json_decref(doc);
	return rc;
}

int report_json(FILE *out, struct engine *e, const struct replay_stats *st)
{
	const struct replay_totals *t = engine_totals(e);

	return report_json_dump(out, json_pack(
	    "{s:o, s:o, s:{s:I, s:I}, s:{s:I, s:I}}",
	    "blocks", report_json_blocks(e), "hurt", report_json_hurt(e),
	    "refused", "connections", (json_int_t)t->refused_connections,
	    "recipients", (json_int_t)t->refused_recipients,
	    "lines", "read", (json_int_t)st->lines,
	    "unparsed", (json_int_t)st->unparsed));
}

int report_sweep_json(FILE *out, const char *key, char *const *values,
    struct engine *const *engines, size_t n)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct replay_totals *t = engine_totals(engines[i]);
		size_t nb, nh;

		engine_blocks(engines[i], &nb);
		free(report_hurt(engines[i], &nh));
		json_array_append_new(rows, json_pack(
		    "{s:s, s:I, s:I, s:I, s:I, s:I}", "value", values[i],
		    "blocks", (json_int_t)nb,
		    "hosts", (json_int_t)report_blocked_hosts(engines[i]),
		    "refused_connections", (json_int_t)t->refused_connections,
		    "refused_recipients", (json_int_t)t->refused_recipients,
		    "hurt", (json_int_t)nh));
	}
	return report_json_dump(out, json_pack("{s:s, s:o}", "key", key,
	    "rows", rows));
}
