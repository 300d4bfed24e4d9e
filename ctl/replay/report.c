/*
 * report.c - the replay's text report and the --sweep table, and what
 * every report shares (the blocked and the hurt hosts).  See replay.h.
 *
 * A host is "hurt" when it was blocked and also delivered mail in the
 * period: likely a false positive.  They are ranked by the mail the
 * replay would have refused them, then by the mail they delivered.
 * Times are printed by isotime_format(), in UTC, like bulwark's own log.
 */
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "replay.h"
#include "xalloc.h"

struct report_walk {
	struct replay_host *items;
	size_t n;
	size_t size;
	bool hurt;
};

static int report_blocked_one(struct host_stats *h, void *arg)
{
	struct report_walk *w = arg;

	if (h->blocks == 0 || (w->hurt && h->delivered == 0))
		return 0;
	if (w->n == w->size) {
		w->size = w->size ? w->size * 2 : 16;
		w->items = xrealloc(w->items, w->size, sizeof(*w->items));
	}
	w->items[w->n++].host = h;
	return 0;
}

struct replay_host *report_blocked(struct engine *e, bool hurt, size_t *n)
{
	struct report_walk w = { NULL, 0, 0, hurt };

	hosts_each(engine_hosts(e), report_blocked_one, &w);
	*n = w.n;
	return w.items;
}

static int report_hurt_order(const void *a, const void *b)
{
	const struct host_stats *x = ((const struct replay_host *)a)->host;
	const struct host_stats *y = ((const struct replay_host *)b)->host;

	if (x->mail_refused != y->mail_refused)
		return x->mail_refused < y->mail_refused ? 1 : -1;
	if (x->delivered != y->delivered)
		return x->delivered < y->delivered ? 1 : -1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

struct replay_host *report_hurt(struct engine *e, size_t *n)
{
	struct replay_host *hurt = report_blocked(e, true, n);

	if (*n > 0)
		qsort(hurt, *n, sizeof(*hurt), report_hurt_order);
	return hurt;
}

static void report_blocks(FILE *out, struct engine *e)
{
	size_t n;
	const struct replay_block *b = engine_blocks(e, &n);
	char host[ADDR_TEXT_MAX], start[ISOTIME_MAX], end[ISOTIME_MAX];

	fprintf(out, "\nblocks: %zu\n", n);
	if (n == 0)
		return;
	fprintf(out, "  %-24s %-8s %-20s  %-20s  %6s %8s\n", "HOST", "DETECTOR",
	    "START", "END", "COUNT", "REFUSED");
	for (size_t i = 0; i < n; i++) {
		host_key_format(&b[i].key, host, sizeof(host));
		isotime_format(b[i].start, start, sizeof(start));
		isotime_format(b[i].end, end, sizeof(end));
		fprintf(out, "  %-24s %-8s %-20s  %-20s  %6u %8u\n", host,
		    detector_name(b[i].detector), start, end, b[i].count,
		    b[i].refused);
	}
}

static void report_hurt_text(FILE *out, struct engine *e, size_t top)
{
	size_t n;
	struct replay_host *hurt = report_hurt(e, &n);
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
	char first[ISOTIME_MAX] = "-", last[ISOTIME_MAX] = "-";

	if (t->first != 0) {
		isotime_format(t->first, first, sizeof(first));
		isotime_format(t->last, last, sizeof(last));
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

/* Hosts blocked at least once. */
size_t report_blocked_hosts(struct engine *e)
{
	size_t n;

	free(report_blocked(e, false, &n));
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
