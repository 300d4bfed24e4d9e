/*
 * report_html.c - the replay as one self-contained HTML page (--html):
 * the summary, the blocks, the hurt hosts, and per top host a timeline
 * (inline SVG, no script, nothing fetched) of its connections and
 * invalid recipients against the thresholds, its blocks shaded.
 *
 * The top hosts are the blocked ones, the hurt first (as ranked in the
 * text report), then by blocks and connections.  Each chart spans the
 * host's activity in REPLAY_CHART_BUCKETS buckets; a curve shows, at each
 * bucket, the events of the evaluation period that ends there (the sum
 * of the buckets it covers), which is what the rule compares with its
 * max: the dashed line.
 *
 * No log text reaches the page: it shows numbers, addresses (written by
 * host_key_format(): hex digits, '.', ':' and '/'), times (isotime.h) and
 * detector names, none of which HTML needs escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "replay.h"
#include "xalloc.h"

#define CHART_W 720
#define CHART_H 180
#define CHART_PAD 36

static int report_pick_order(const void *a, const void *b)
{
	const struct host_stats *x = ((const struct replay_host *)a)->host;
	const struct host_stats *y = ((const struct replay_host *)b)->host;
	bool xh = x->delivered > 0, yh = y->delivered > 0;

	if (xh != yh)
		return xh ? -1 : 1;
	if (x->mail_refused != y->mail_refused)
		return x->mail_refused < y->mail_refused ? 1 : -1;
	if (x->blocks != y->blocks)
		return x->blocks < y->blocks ? 1 : -1;
	if (x->connections != y->connections)
		return x->connections < y->connections ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

struct replay_chart *report_charts_pick(struct engine *e, size_t top,
    size_t *n)
{
	struct replay_chart *charts;
	size_t nb, nh;
	const struct replay_block *b = engine_blocks(e, &nb);
	struct replay_host *hosts = report_blocked(e, false, &nh);

	if (nh > 0)
		qsort(hosts, nh, sizeof(*hosts), report_pick_order);
	*n = nh < top ? nh : top;
	charts = xcalloc(*n + 1, sizeof(*charts));
	for (size_t i = 0; i < *n; i++) {
		const struct host_stats *h = hosts[i].host;
		int64_t from = h->first_seen, to = h->last_seen, span;

		for (size_t j = 0; j < nb; j++) {
			if (host_key_equal(&b[j].key, &h->key) && b[j].end > to)
				to = b[j].end;
		}
		span = to - from + 1;
		charts[i].key = h->key;
		charts[i].from = from;
		charts[i].width = (span + REPLAY_CHART_BUCKETS - 1) /
		    REPLAY_CHART_BUCKETS;
		if (charts[i].width < 1)
			charts[i].width = 1;
	}
	free(hosts);
	return charts;
}

/* The events of the period that ends at each bucket. */
static void html_window(const uint32_t *in, uint32_t *out, int64_t width,
    uint32_t period)
{
	int64_t k = ((int64_t)period + width - 1) / width;
	uint64_t sum = 0;

	for (int64_t i = 0; i < REPLAY_CHART_BUCKETS; i++) {
		sum += in[i];
		if (i >= k)
			sum -= in[i - k];
		out[i] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
}

static double html_x(const struct replay_chart *c, int64_t t)
{
	double span = (double)c->width * REPLAY_CHART_BUCKETS;
	double x = (double)(t - c->from) / span;

	if (x < 0)
		x = 0;
	if (x > 1)
		x = 1;
	return CHART_PAD + x * (CHART_W - 2 * CHART_PAD);
}

static double html_y(uint32_t v, uint32_t top)
{
	return CHART_H - CHART_PAD + 8 -
	    (double)v / top * (CHART_H - 2 * CHART_PAD);
}

static void html_curve(FILE *out, const struct replay_chart *c,
    const uint32_t *v, uint32_t top, const char *color)
{
	fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
	    "points=\"", color);
	for (int i = 0; i < REPLAY_CHART_BUCKETS; i++)
		fprintf(out, "%.1f,%.1f ", html_x(c, c->from + (int64_t)i *
		    c->width), html_y(v[i], top));
	fputs("\"/>\n", out);
}

static void html_threshold(FILE *out, uint32_t max, uint32_t top,
    const char *color, const char *label)
{
	double y = html_y(max, top);

	fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"%s\" stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%.1f\" "
	    "font-size=\"10\" fill=\"%s\">%s max %u</text>\n", CHART_PAD,
	    CHART_W - CHART_PAD, y, y, color, CHART_W - CHART_PAD - 90, y - 3,
	    color, label, max);
}

static void html_blocks(FILE *out, struct engine *e,
    const struct replay_chart *c, uint32_t top)
{
	size_t nb;
	const struct replay_block *b = engine_blocks(e, &nb);
	char start[ISOTIME_MAX], end[ISOTIME_MAX];

	for (size_t j = 0; j < nb; j++) {
		double x1, x2;

		if (!host_key_equal(&b[j].key, &c->key))
			continue;
		x1 = html_x(c, b[j].start);
		x2 = html_x(c, b[j].end);
		isotime_format(b[j].start, start, sizeof(start));
		isotime_format(b[j].end, end, sizeof(end));
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"#f5a623\" fill-opacity=\"0.3\">"
		    "<title>%s block %s to %s, count %u</title></rect>\n",
		    x1, html_y(top, top), x2 - x1 < 1 ? 1 : x2 - x1,
		    html_y(0, top) - html_y(top, top),
		    detector_name(b[j].detector), start, end, b[j].count);
	}
}

static uint32_t html_top(const uint32_t *a, const uint32_t *b,
    uint32_t m1, uint32_t m2)
{
	uint32_t top = m1 > m2 ? m1 : m2;

	for (int i = 0; i < REPLAY_CHART_BUCKETS; i++) {
		if (a[i] > top)
			top = a[i];
		if (b[i] > top)
			top = b[i];
	}
	return top + top / 10 + 1;
}

static void html_chart(FILE *out, struct engine *e,
    const struct replay_chart *c)
{
	const struct config *cfg = engine_config(e);
	const struct rule *dos = &cfg->rules[DETECTOR_DOS];
	const struct rule *dha = &cfg->rules[DETECTOR_DHA];
	uint32_t conn[REPLAY_CHART_BUCKETS], inval[REPLAY_CHART_BUCKETS], top;
	char host[ADDR_TEXT_MAX], from[ISOTIME_MAX], to[ISOTIME_MAX];

	html_window(c->connections, conn, c->width, dos->period);
	html_window(c->invalid, inval, c->width, dha->period);
	top = html_top(conn, inval, dos->max, dha->max);
	host_key_format(&c->key, host, sizeof(host));
	isotime_format(c->from, from, sizeof(from));
	isotime_format(c->from + c->width * REPLAY_CHART_BUCKETS, to,
	    sizeof(to));
	fprintf(out, "<h3>%s</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
	    host, CHART_W, CHART_H, CHART_W, CHART_H);
	html_blocks(out, e, c, top);
	html_threshold(out, dos->max, top, "#1f5fbf", "dos");
	html_threshold(out, dha->max, top, "#bf1f1f", "dha");
	html_curve(out, c, conn, top, "#1f5fbf");
	html_curve(out, c, inval, top, "#bf1f1f");
	fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>"
	    "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s"
	    "</text>\n</svg>\n<p class=\"legend\">blue: connections per %u s "
	    "(dos.period); red: invalid recipients per %u s (dha.period); "
	    "shaded: blocks</p>\n", CHART_PAD, CHART_H - 6, from,
	    CHART_W - CHART_PAD, CHART_H - 6, to, dos->period, dha->period);
}

static void html_blocks_table(FILE *out, struct engine *e)
{
	size_t nb;
	const struct replay_block *b = engine_blocks(e, &nb);
	char host[ADDR_TEXT_MAX], start[ISOTIME_MAX], end[ISOTIME_MAX];

	fprintf(out, "<h2>Blocks: %zu</h2>\n<table><tr><th>host</th>"
	    "<th>detector</th><th>start</th><th>end</th><th>count</th>"
	    "<th>refused</th></tr>\n", nb);
	for (size_t i = 0; i < nb; i++) {
		host_key_format(&b[i].key, host, sizeof(host));
		isotime_format(b[i].start, start, sizeof(start));
		isotime_format(b[i].end, end, sizeof(end));
		fprintf(out, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
		    "<td>%u</td><td>%u</td></tr>\n", host, detector_name(b[i].detector), start,
		    end, b[i].count, b[i].refused);
	}
	fputs("</table>\n", out);
}

static void html_hurt_table(FILE *out, struct engine *e)
{
	size_t n;
	struct replay_host *hurt = report_hurt(e, &n);
	char host[ADDR_TEXT_MAX];

	fprintf(out, "<h2>Hurt: %zu</h2>\n<p>Blocked hosts that also delivered "
	    "mail: likely false positives.</p>\n<table><tr><th>host</th>"
	    "<th>delivered</th><th>mail refused</th><th>blocks</th></tr>\n", n);
	for (size_t i = 0; i < n; i++) {
		host_key_format(&hurt[i].host->key, host, sizeof(host));
		fprintf(out, "<tr><td>%s</td><td>%u</td><td>%u</td><td>%u</td>"
		    "</tr>\n", host, hurt[i].host->delivered, hurt[i].host->mail_refused,
		    hurt[i].host->blocks);
	}
	fputs("</table>\n", out);
	free(hurt);
}

int report_html(FILE *out, struct engine *e, const struct replay_stats *st,
    const struct replay_chart *charts, size_t ncharts)
{
	const struct replay_totals *t = engine_totals(e);

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>bulwark-replay</title>\n<style>body{font-family:sans-serif;"
	    "margin:2em}table{border-collapse:collapse}td,th{border:1px solid "
	    "#ccc;padding:2px 8px;text-align:left}.legend{font-size:small;"
	    "color:#555}</style></head><body>\n<h1>bulwark-replay</h1>\n", out);
	fprintf(out, "<p>%llu lines, %llu unparsed; %llu connections, %llu "
	    "invalid recipients, %llu messages delivered. Would have refused "
	    "%llu connections and %llu recipients.</p>\n",
	    (unsigned long long)st->lines, (unsigned long long)st->unparsed,
	    (unsigned long long)t->connections,
	    (unsigned long long)t->invalid_recipients,
	    (unsigned long long)t->delivered,
	    (unsigned long long)t->refused_connections,
	    (unsigned long long)t->refused_recipients);
	html_hurt_table(out, e);
	fprintf(out, "<h2>Timelines of the top %zu blocked hosts</h2>\n", ncharts);
	for (size_t i = 0; i < ncharts; i++)
		html_chart(out, e, &charts[i]);
	html_blocks_table(out, e);
	fputs("</body></html>\n", out);
	return ferror(out) ? -1 : 0;
}
