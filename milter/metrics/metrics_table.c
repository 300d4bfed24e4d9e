/*
 * metrics_table.c - see metrics_table.h.  The one place that names the
 * metrics, says what they mean and which samples each has.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "firewall_stats.h"
#include "metrics.h"
#include "metrics_table.h"
#include "rule.h"
#include "sessions.h"
#include "xalloc.h"

/* The order refusals are shown in. */
static const enum action table_actions[METRICS_ACTIONS] = {
	ACTION_TEMPFAIL, ACTION_REJECT, ACTION_LOG
};

static void table_family(struct metrics_table *t, const char *name,
    enum metrics_type type, const char *help)
{
	if (t->nfamilies == t->families_size) {
		t->families_size = t->families_size ? t->families_size * 2 : 16;
		t->families = xrealloc(t->families, t->families_size,
		    sizeof(*t->families));
	}
	t->families[t->nfamilies++] = (struct metrics_family){
		.name = name, .type = type, .help = help, .first = t->nsamples,
	};
}

/* A sample of the family last opened, without labels. */
static struct metrics_sample *table_sample(struct metrics_table *t,
    uint64_t value)
{
	struct metrics_sample *s;

	if (t->nsamples == t->samples_size) {
		t->samples_size = t->samples_size ? t->samples_size * 2 : 64;
		t->samples = xrealloc(t->samples, t->samples_size,
		    sizeof(*t->samples));
	}
	s = &t->samples[t->nsamples++];
	*s = (struct metrics_sample){ .suffix = "", .value = value };
	t->families[t->nfamilies - 1].count++;
	return s;
}

static void table_labeled(struct metrics_table *t, const char *label,
    const char *value, uint64_t n)
{
	struct metrics_sample *s = table_sample(t, n);

	s->labels[0] = (struct metrics_label){ label, value };
}

/* One sample per index i in [from, to): n[i], its label name(i). */
static void table_each(struct metrics_table *t, const char *label,
    const char *(*name)(unsigned), const uint64_t *n, unsigned from,
    unsigned to)
{
	for (unsigned i = from; i < to; i++)
		table_labeled(t, label, name(i), n[i]);
}

static const char *table_detector_name(unsigned d)
{
	return detector_name((enum detector)d);
}

static const char *table_decider_name(unsigned d)
{
	return store_decider_name((enum store_decider)d);
}

static const char *table_stage_name(unsigned s)
{
	return sessions_stage_name((enum sessions_stage)s);
}

static const char *table_exclusion_name(unsigned r)
{
	return r == METRICS_EXCLUDE_VERIFIED ? "verified-domain" : "exclude-list";
}

/* The families that read a counter, or an array of them, of the counts. */
static const struct table_counter {
	const char *name;
	enum metrics_type type;
	const char *help;
	size_t offset;			/* of the counter(s) in metrics_counts */
	const char *label;		/* NULL: one sample, without labels */
	const char *(*value)(unsigned);	/* the label of index i */
	unsigned from, to;		/* the indexes sampled */
} table_counters[] = {
	{ "bulwark_connections_total", METRICS_COUNTER,
	    "Client connections with an IP address.",
	    offsetof(struct metrics_counts, connections), NULL, NULL, 0, 0 },
	/* Blocks by hand count no events: no such sample. */
	{ "bulwark_events_total", METRICS_COUNTER,
	    "Events recorded in the store, by the detector they count for: "
	    "dos connections, dha invalid recipients, attack flagged "
	    "connections.", offsetof(struct metrics_counts, events),
	    "detector", table_detector_name, 0, DETECTOR_MANUAL },
	{ "bulwark_blocks_started_total", METRICS_COUNTER,
	    "Hosts blocked, by the detector that blocked them.",
	    offsetof(struct metrics_counts, blocks_started), "detector",
	    table_detector_name, 0, DETECTOR_COUNT },
	{ "bulwark_blocks_escalated_total", METRICS_COUNTER,
	    "Blocks started above escalation level 0 (a repeat offender), "
	    "by detector.",
	    offsetof(struct metrics_counts, blocks_escalated), "detector",
	    table_detector_name, 0, DETECTOR_MANUAL },
	{ "bulwark_network_blocks_total", METRICS_COUNTER,
	    "Blocks of a whole network started by a detector's network rule, "
	    "by detector (also in bulwark_blocks_started_total).",
	    offsetof(struct metrics_counts, blocks_network), "detector",
	    table_detector_name, 0, DETECTOR_MANUAL },
	{ "bulwark_exclusions_total", METRICS_COUNTER,
	    "Connections not counted, by reason: exclude-list (exclude, "
	    "exclude_file), verified-domain (exclude_verified_domains).",
	    offsetof(struct metrics_counts, exclusions), "reason",
	    table_exclusion_name, 0, METRICS_EXCLUSIONS },
	{ "bulwark_flagged_connections_total", METRICS_COUNTER,
	    "Connections flagged for too many unexpected commands.",
	    offsetof(struct metrics_counts, flagged), NULL, NULL, 0, 0 },
	{ "bulwark_live_sessions", METRICS_GAUGE,
	    "SMTP sessions with an IP address open now on this node, by the "
	    "furthest stage reached: connected, greeted (HELO/EHLO), "
	    "transaction (MAIL), data (DATA).",
	    offsetof(struct metrics_counts, live_sessions), "stage",
	    table_stage_name, 0, SESSIONS_STAGES },
	{ "bulwark_store_errors_total", METRICS_COUNTER,
	    "Events decided without the shared store (it failed, or failed "
	    "for the host's key), by what decided them: the node's local "
	    "store, accept or tempfail (redis.on_error).",
	    offsetof(struct metrics_counts, store_errors), "decided_by",
	    table_decider_name, STORE_DECIDED_LOCAL, METRICS_DECIDERS },
};

static void table_counts(struct metrics_table *t,
    const struct metrics_counts *c)
{
	for (size_t i = 0; i < sizeof(table_counters) /
	    sizeof(table_counters[0]); i++) {
		const struct table_counter *k = &table_counters[i];
		const uint64_t *n = (const uint64_t *)(const void *)
		    ((const char *)c + k->offset);

		table_family(t, k->name, k->type, k->help);
		if (k->label == NULL)
			table_sample(t, *n);
		else
			table_each(t, k->label, k->value, n, k->from, k->to);
	}
}

/* One sample per detector, of the first count detectors. */
static void table_per_detector(struct metrics_table *t, const uint64_t *n,
    unsigned count)
{
	table_each(t, "detector", table_detector_name, n, 0, count);
}

static void table_info(struct metrics_table *t, const struct metrics_counts *c)
{
	table_family(t, "bulwark_build_info", METRICS_GAUGE,
	    "Always 1; the version label is the running version.");
	table_labeled(t, "version", BULWARK_VERSION, 1);
	if (c->start_time <= 0)
		return;
	table_family(t, "bulwark_start_time_seconds", METRICS_GAUGE,
	    "When the daemon started, in seconds since the Unix epoch.");
	table_sample(t, (uint64_t)c->start_time);
}

static const char *table_refuser_name(unsigned r)
{
	if (r == METRICS_BLOCKED_LIST)
		return "blocked-list";
	if (r == METRICS_CONCURRENCY)
		return "concurrency";
	return detector_name((enum detector)r);
}

static void table_refusals(struct metrics_table *t,
    const struct metrics_counts *c)
{
	table_family(t, "bulwark_refusals_total", METRICS_COUNTER,
	    "Refusals decided, by the detector whose block or rule refused "
	    "(or the static blocked list, or the concurrency limit) and the "
	    "action taken; action log "
	    "counts what was only logged. Counted once when decided, not "
	    "again for later commands of the same session.");
	for (unsigned r = 0; r < METRICS_REFUSERS; r++) {
		for (unsigned a = 0; a < METRICS_ACTIONS; a++) {
			enum action action = table_actions[a];
			struct metrics_sample *s = table_sample(t,
			    c->refusals[r][action]);

			s->labels[0] = (struct metrics_label){ "detector",
			    table_refuser_name(r) };
			s->labels[1] = (struct metrics_label){ "action",
			    action_name(action) };
		}
	}
}

struct table_active {
	int64_t now;
	uint64_t count[DETECTOR_COUNT];
};

static int table_count_blocks(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct table_active *active = arg;

	(void)key;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (rule_blocked(&host->state[d], active->now))
			active->count[d]++;
	}
	return 0;
}

static void table_store_state(struct metrics_table *t, struct store *store,
    int64_t now)
{
	struct table_active active = { .now = now };

	if (store_list_blocks(store, now, table_count_blocks, &active) == 0) {
		table_family(t, "bulwark_active_blocks", METRICS_GAUGE,
		    "Hosts blocked now, by detector (a host blocked by two "
		    "detectors counts under both).");
		table_per_detector(t, active.count, DETECTOR_COUNT);
	}
	table_family(t, "bulwark_store_degraded", METRICS_GAUGE,
	    "1 while the store is degraded (Redis away: the node decides "
	    "alone), else 0.");
	table_labeled(t, "store", store->ops->name,
	    store_degraded(store) ? 1 : 0);
}

static void table_latency(struct metrics_table *t,
    const struct metrics_counts *c)
{
	uint64_t seen = 0;
	struct metrics_sample *s;

	table_family(t, "bulwark_store_latency_seconds", METRICS_HISTOGRAM,
	    "Time taken by the store operation of each SMTP event.");
	for (size_t b = 0; b <= METRICS_LATENCY_BOUNDS; b++) {
		seen += c->latency[b];
		s = table_sample(t, seen);
		s->suffix = "_bucket";
		s->labels[0] = (struct metrics_label){ "le",
		    b < METRICS_LATENCY_BOUNDS ?
		    metrics_latency_bounds[b].seconds : "+Inf" };
	}
	s = table_sample(t, c->latency_sum_ns);
	s->suffix = "_sum";
	s->nanoseconds = true;
	s = table_sample(t, seen);
	s->suffix = "_count";
}

static void table_reloads(struct metrics_table *t,
    const struct metrics_counts *c)
{
	table_family(t, "bulwark_config_reloads_total", METRICS_COUNTER,
	    "Configuration reloads, by result: ok, or failed (the running "
	    "configuration stayed).");
	table_labeled(t, "result", "ok", c->reloads_ok);
	table_labeled(t, "result", "failed", c->reloads_failed);
}

static void table_firewall(struct metrics_table *t)
{
	static const struct {
		enum firewall_counter counter;
		const char *name;
		const char *help;
	} counters[] = {
		{ FIREWALL_PUSHED, "bulwark_firewall_pushed_total",
		    "Elements added to the nftables sets (a renewed one again)." },
		{ FIREWALL_REMOVED, "bulwark_firewall_removed_total",
		    "Elements deleted from the nftables sets by an unblock." },
		{ FIREWALL_ERRORS, "bulwark_firewall_errors_total",
		    "Changes of the nftables sets that failed." },
		{ FIREWALL_SKIPPED, "bulwark_firewall_skipped_total",
		    "Blocks never pushed: loopback, own or excluded prefixes." },
		{ FIREWALL_DROPPED, "bulwark_firewall_dropped_total",
		    "Blocks not pushed because the queue or max_elements was "
		    "full." },
	};
	struct firewall_stats st;

	firewall_stats_read(&st);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		table_family(t, counters[i].name, METRICS_COUNTER,
		    counters[i].help);
		table_sample(t, st.counters[counters[i].counter]);
	}
	table_family(t, "bulwark_firewall_elements", METRICS_GAUGE,
	    "Elements the daemon holds in its nftables sets.");
	table_sample(t, st.elements);
	table_family(t, "bulwark_firewall_failing", METRICS_GAUGE,
	    "1 while the last change of the nftables sets failed, else 0.");
	table_sample(t, st.state == FIREWALL_FAILING ? 1 : 0);
}

void metrics_table_build(struct metrics_table *t, struct store *store,
    int64_t now)
{
	struct metrics_counts c;

	memset(t, 0, sizeof(*t));
	metrics_read(&c);
	table_info(t, &c);
	table_counts(t, &c);
	table_refusals(t, &c);
	if (store != NULL)
		table_store_state(t, store, now);
	table_latency(t, &c);
	table_reloads(t, &c);
	table_firewall(t);
}

void metrics_table_free(struct metrics_table *t)
{
	free(t->families);
	free(t->samples);
	memset(t, 0, sizeof(*t));
}

char *metrics_sample_name(const struct metrics_family *f,
    const struct metrics_sample *s, char *buf, size_t len)
{
	char value[METRICS_NAME_MAX];
	size_t used = (size_t)snprintf(buf, len, "%s%s", f->name, s->suffix);

	for (unsigned i = 0; i < METRICS_SAMPLE_LABELS; i++) {
		if (s->labels[i].name == NULL || used >= len)
			break;
		escape(s->labels[i].value, ESCAPE_LABEL, value, sizeof(value));
		used += (size_t)snprintf(buf + used, len - used, "%s%s=\"%s\"",
		    i == 0 ? "{" : ",", s->labels[i].name, value);
	}
	if (s->labels[0].name != NULL && used < len)
		snprintf(buf + used, len - used, "}");
	return buf;
}

const char *metrics_type_name(enum metrics_type type)
{
	static const char *const names[] = {
		[METRICS_COUNTER] = "counter",
		[METRICS_GAUGE] = "gauge",
		[METRICS_HISTOGRAM] = "histogram",
	};

	return names[type];
}
