/*
 * report.c - the replay's text report and the --sweep table, and what
 * every report shares (hurt hosts, times, escaping).  See replay.h.
 *
 * A host is "hurt" when it was blocked and also delivered mail in the
 * period: likely a false positive.  They are ranked by the mail the
 * replay would have refused them, then by the mail they delivered.
 * Times are printed in local time, like the log's classic stamps.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "xalloc.h"

void report_format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

void report_escape(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < inlen && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= ' ' && c <= '~' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
}

struct hurt_walk {
	struct replay_hurt *items;
	size_t n;
	size_t size;
};

static int report_hurt_one(struct host_stats *h, void *arg)
{
	struct hurt_walk *w = arg;

	if (h->blocks == 0 || h->delivered == 0)
		return 0;
	if (w->n == w->size) {
		w->size = w->size ? w->size * 2 : 16;
		w->items = xrealloc(w->items, w->size, sizeof(*w->items));
	}
	w->items[w->n++].host = h;
	return 0;
}

static int report_hurt_order(const void *a, const void *b)
{
	const struct host_stats *x = ((const struct replay_hurt *)a)->host;
	const struct host_stats *y = ((const struct replay_hurt *)b)->host;

	if (x->mail_refused != y->mail_refused)
		return x->mail_refused < y->mail_refused ? 1 : -1;
	if (x->delivered != y->delivered)
		return x->delivered < y->delivered ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

struct replay_hurt *report_hurt(struct engine *e, size_t *n)
{
	struct hurt_walk w = { NULL, 0, 0 };

	hosts_each(engine_hosts(e), report_hurt_one, &w);
	if (w.n > 0)
		qsort(w.items, w.n, sizeof(*w.items), report_hurt_order);
	*n = w.n;
	return w.items;
}

static void report_blocks(FILE *out, struct engine *e)
{
	size_t n;
	const struct replay_block *b = engine_blocks(e, &n);
	char host[ADDR_TEXT_MAX], start[32], end[32];

	fprintf(out, "\nblocks: %zu\n", n);
	if (n == 0)
		return;
	fprintf(out, "  %-24s %-8s %-19s  %-19s  %6s %8s\n", "HOST", "DETECTOR",
	    "START", "END", "COUNT", "REFUSED");
	for (size_t i = 0; i < n; i++) {
		host_key_format(&b[i].key, host, sizeof(host));
		report_format_time(b[i].start, start, sizeof(start));
		report_format_time(b[i].end, end, sizeof(end));
		fprintf(out, "  %-24s %-8s %-19s  %-19s  %6u %8u\n", host,
		    detector_name(b[i].detector), start, end, b[i].count,
		    b[i].refused);
	}
}

static void report_hurt_text(FILE *out, struct engine *e, size_t top)
{
	size_t n;
	struct replay_hurt *hurt = report_hurt(e, &n);
	char host[ADDR_TEXT_MAX];

	fprintf(out, "\nhurt (blocked hosts that also delivered mail, likely "
	    "false positives): %zu\n", n);
	if (n > 0)
		fprintf(out, "  %-24s %9s %12s %8s %12s\n", "HOST", "DELIVERED",
		    "MAIL REFUSED", "BLOCKS", "CONNECTIONS");
	for (size_t i = 0; i < n && i < top; i++) {
		const struct host_stats *h = hurt[i].host;

		host_key_format(&h->key, host, sizeof(host));
		fprintf(out, "  %-24s %9u %12u %8u %12u\n", host, h->delivered,
		    h->mail_refused, h->blocks, h->connections);
	}
	if (n > top)
		fprintf(out, "  ... %zu more (--top)\n", n - top);
	free(hurt);
}

static void report_unparsed(FILE *out, const struct replay_stats *st)
{
	fprintf(out, "\nunparsed lines: %llu\n", (unsigned long long)st->unparsed);
	for (size_t i = 0; i < st->unparsed && i < REPLAY_UNPARSED_SHOWN; i++)
		fprintf(out, "  %s: %s\n", st->shown[i].where, st->shown[i].text);
}

void report_text(FILE *out, struct engine *e, const struct replay_stats *st,
    const char *config_path, size_t top)
{
	const struct replay_totals *t = engine_totals(e);
	char first[32] = "-", last[32] = "-";

	if (t->first != 0) {
		report_format_time(t->first, first, sizeof(first));
		report_format_time(t->last, last, sizeof(last));
	}
	fprintf(out, "replay of %llu lines (%llu of the MTA), %s to %s, "
	    "configuration %s\n", (unsigned long long)st->lines,
	    (unsigned long long)st->mta, first, last, config_path);
	fprintf(out, "sessions %llu, connections %llu, invalid recipients %llu, "
	    "messages delivered %llu\n", (unsigned long long)t->sessions,
	    (unsigned long long)t->connections,
	    (unsigned long long)t->invalid_recipients,
	    (unsigned long long)t->delivered);
	fprintf(out, "would have refused: %llu connections, %llu recipients\n",
	    (unsigned long long)t->refused_connections,
	    (unsigned long long)t->refused_recipients);
	report_blocks(out, e);
	report_hurt_text(out, e, top);
	report_unparsed(out, st);
}

static size_t report_hurt_count(struct engine *e)
{
	size_t n;

	free(report_hurt(e, &n));
	return n;
}

static int report_blocked_one(struct host_stats *h, void *arg)
{
	if (h->blocks > 0)
		(*(size_t *)arg)++;
	return 0;
}

/* Hosts blocked at least once. */
size_t report_blocked_hosts(struct engine *e)
{
	size_t n = 0;

	hosts_each(engine_hosts(e), report_blocked_one, &n);
	return n;
}

void report_sweep(FILE *out, const char *key, char *const *values,
    struct engine *const *engines, size_t n)
{
	int w = (int)(strlen(key) > 5 ? strlen(key) : 5);

	fprintf(out, "%-*s %8s %8s %12s %12s %6s\n", w, key, "BLOCKS",
	    "HOSTS", "REFUSED", "RECIPIENTS", "HURT");
	for (size_t i = 0; i < n; i++) {
		const struct replay_totals *t = engine_totals(engines[i]);
		size_t nb;

		engine_blocks(engines[i], &nb);
		fprintf(out, "%-*s %8zu %8zu %12llu %12llu %6zu\n", w, values[i],
		    nb, report_blocked_hosts(engines[i]),
		    (unsigned long long)t->refused_connections,
		    (unsigned long long)t->refused_recipients,
		    report_hurt_count(engines[i]));
	}
}
