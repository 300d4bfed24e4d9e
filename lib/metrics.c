/*
 * metrics.c - counters and their Prometheus text.  See metrics.h.
 *
 * Every counter is a uint64_t bumped with a relaxed atomic add: SMTP
 * threads never take a lock to count, and a scrape reads each counter on
 * its own (a scrape racing with traffic may see one counter a step ahead
 * of another, as with any Prometheus exporter).  The latency histogram
 * keeps one count per bucket; the cumulative counts and _count are summed
 * from those same reads, so +Inf always equals _count.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "rule.h"
#include "xalloc.h"

#define METRICS_ACTIONS		3	/* enum action: log, tempfail, reject */
/* Refusals are kept per detector, then one row for the blocked list. */
#define METRICS_BLOCKED_LIST	DETECTOR_COUNT
#define METRICS_REFUSERS	(DETECTOR_COUNT + 1)
#define METRICS_LABEL_MAX	128

/* Upper bounds of the latency buckets: 50 us to 1 s. */
static const struct {
	uint64_t ns;
	const char *le;
} metrics_buckets[] = {
	{ 50000, "5e-05" }, { 100000, "0.0001" }, { 250000, "0.00025" },
	{ 500000, "0.0005" }, { 1000000, "0.001" }, { 2500000, "0.0025" },
	{ 5000000, "0.005" }, { 10000000, "0.01" }, { 25000000, "0.025" },
	{ 50000000, "0.05" }, { 100000000, "0.1" }, { 250000000, "0.25" },
	{ 500000000, "0.5" }, { 1000000000, "1" },
};

#define METRICS_BUCKETS (sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

/* The order refusals are shown in. */
static const enum action metrics_actions[METRICS_ACTIONS] = {
	ACTION_TEMPFAIL, ACTION_REJECT, ACTION_LOG
};

static struct {
	uint64_t connections;
	uint64_t events[DETECTOR_COUNT];
	uint64_t refusals[METRICS_REFUSERS][METRICS_ACTIONS];
	uint64_t blocks_started[DETECTOR_COUNT];
	uint64_t flagged;
	uint64_t store_errors;
	/* Per bucket, not cumulative; the last one is above every bound. */
	uint64_t latency[METRICS_BUCKETS + 1];
	uint64_t latency_sum_ns;
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	int64_t start_time;
} metrics;

static inline void metrics_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline uint64_t metrics_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static inline bool metrics_detector_ok(enum detector detector)
{
	return (unsigned)detector < DETECTOR_COUNT;
}

static inline bool metrics_action_ok(enum action action)
{
	return (unsigned)action < METRICS_ACTIONS;
}

/* Counting. */

void metrics_connection(void)
{
	metrics_add(&metrics.connections, 1);
}

void metrics_event(enum detector detector)
{
	if (metrics_detector_ok(detector))
		metrics_add(&metrics.events[detector], 1);
}

void metrics_refusal(enum detector detector, enum action action)
{
	if (metrics_detector_ok(detector) && metrics_action_ok(action))
		metrics_add(&metrics.refusals[detector][action], 1);
}

void metrics_blocked_list_refusal(enum action action)
{
	if (metrics_action_ok(action))
		metrics_add(&metrics.refusals[METRICS_BLOCKED_LIST][action], 1);
}

void metrics_block_started(enum detector detector)
{
	if (metrics_detector_ok(detector))
		metrics_add(&metrics.blocks_started[detector], 1);
}

void metrics_flagged(void)
{
	metrics_add(&metrics.flagged, 1);
}

void metrics_store_error(void)
{
	metrics_add(&metrics.store_errors, 1);
}

void metrics_store_latency_ns(uint64_t ns)
{
	size_t b = 0;

	while (b < METRICS_BUCKETS && ns > metrics_buckets[b].ns)
		b++;
	metrics_add(&metrics.latency[b], 1);
	metrics_add(&metrics.latency_sum_ns, ns);
}

void metrics_reload(bool ok)
{
	metrics_add(ok ? &metrics.reloads_ok : &metrics.reloads_failed, 1);
}

uint64_t metrics_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void metrics_set_start_time(int64_t when)
{
	__atomic_store_n(&metrics.start_time, when, __ATOMIC_RELAXED);
}

void metrics_reset(void)
{
	memset(&metrics, 0, sizeof(metrics));
}

void metrics_label_escape(const char *value, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	for (const char *p = value; *p != '\0'; p++) {
		const char *put = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" :
		    *p == '\n' ? "\\n" : NULL;
		size_t n = put != NULL ? 2 : 1;

		if (o + n >= outlen)
			break;
		if (put != NULL)
			memcpy(out + o, put, n);
		else
			out[o] = *p;
		o += n;
	}
	out[o] = '\0';
}

/* The text, grown as it is written. */

struct metrics_text {
	char *data;
	size_t len;
	size_t size;
};

static void text_printf(struct metrics_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void text_printf(struct metrics_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->data + t->len, t->size - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < t->size - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->size = t->size * 2 + (size_t)n;
		t->data = xrealloc(t->data, t->size, 1);
	}
}

static void text_head(struct metrics_text *t, const char *name,
    const char *type, const char *help)
{
	text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} n */
static void text_labeled(struct metrics_text *t, const char *name,
    const char *label, const char *value, unsigned long long n)
{
	char escaped[METRICS_LABEL_MAX];

	metrics_label_escape(value, escaped, sizeof(escaped));
	text_printf(t, "%s{%s=\"%s\"} %llu\n", name, label, escaped, n);
}

/* One sample per detector that counts events (never DETECTOR_MANUAL). */
static void text_per_counting_detector(struct metrics_text *t,
    const char *name, const uint64_t *counts)
{
	for (unsigned d = 0; d < DETECTOR_MANUAL; d++)
		text_labeled(t, name, "detector", detector_name(d),
		    metrics_read(&counts[d]));
}

/* Rendering, one group of metrics at a time. */

static void render_info(struct metrics_text *t)
{
	int64_t start = __atomic_load_n(&metrics.start_time, __ATOMIC_RELAXED);

	text_head(t, "bulwark_build_info", "gauge",
	    "Always 1; the version label is the running version.");
	text_labeled(t, "bulwark_build_info", "version", BULWARK_VERSION, 1);
	if (start <= 0)
		return;
	text_head(t, "bulwark_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the Unix epoch.");
	text_printf(t, "bulwark_start_time_seconds %lld\n", (long long)start);
}

static const char *refuser_name(unsigned r)
{
	return r == METRICS_BLOCKED_LIST ? "blocked-list" : detector_name(r);
}

static void render_refusals(struct metrics_text *t)
{
	char who[METRICS_LABEL_MAX];

	text_head(t, "bulwark_refusals_total", "counter",
	    "Refusals decided, by the detector whose block or rule refused "
	    "(or the static blocked list) and the action taken; action log "
	    "counts what was only logged. Counted once when decided, not "
	    "again for later commands of the same session.");
	for (unsigned r = 0; r < METRICS_REFUSERS; r++) {
		metrics_label_escape(refuser_name(r), who, sizeof(who));
		for (unsigned a = 0; a < METRICS_ACTIONS; a++) {
			enum action action = metrics_actions[a];

			text_printf(t, "bulwark_refusals_total{detector=\"%s\","
			    "action=\"%s\"} %llu\n", who, action_name(action),
			    (unsigned long long)metrics_read(
			    &metrics.refusals[r][action]));
		}
	}
}

static void render_traffic(struct metrics_text *t)
{
	text_head(t, "bulwark_connections_total", "counter",
	    "Client connections with an IP address.");
	text_printf(t, "bulwark_connections_total %llu\n",
	    (unsigned long long)metrics_read(&metrics.connections));
	text_head(t, "bulwark_events_total", "counter",
	    "Events recorded in the store, by the detector they count for: "
	    "dos connections, dha invalid recipients, attack flagged "
	    "connections.");
	text_per_counting_detector(t, "bulwark_events_total", metrics.events);
	render_refusals(t);
	text_head(t, "bulwark_blocks_started_total", "counter",
	    "Hosts blocked, by the detector that blocked them.");
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		text_labeled(t, "bulwark_blocks_started_total", "detector",
		    detector_name(d), metrics_read(&metrics.blocks_started[d]));
	text_head(t, "bulwark_flagged_connections_total", "counter",
	    "Connections flagged for too many unexpected commands.");
	text_printf(t, "bulwark_flagged_connections_total %llu\n",
	    (unsigned long long)metrics_read(&metrics.flagged));
}

struct metrics_active {
	int64_t now;
	uint64_t count[DETECTOR_COUNT];
};

static int metrics_count_blocks(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct metrics_active *active = arg;

	(void)key;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (rule_blocked(&host->state[d], active->now))
			active->count[d]++;
	}
	return 0;
}

static void render_store_state(struct metrics_text *t, struct store *store,
    int64_t now)
{
	struct metrics_active active = { .now = now };

	if (store_list_blocks(store, now, metrics_count_blocks, &active) == 0) {
		text_head(t, "bulwark_active_blocks", "gauge",
		    "Hosts blocked now, by detector (a host blocked by two "
		    "detectors counts under both).");
		for (unsigned d = 0; d < DETECTOR_COUNT; d++)
			text_labeled(t, "bulwark_active_blocks", "detector",
			    detector_name(d), active.count[d]);
	}
	text_head(t, "bulwark_store_degraded", "gauge",
	    "1 while the store is degraded (Redis away: the node decides "
	    "alone), else 0.");
	text_labeled(t, "bulwark_store_degraded", "store", store->ops->name,
	    store_degraded(store) ? 1 : 0);
}

static void render_latency(struct metrics_text *t)
{
	const char *name = "bulwark_store_latency_seconds";
	uint64_t seen = 0, sum = metrics_read(&metrics.latency_sum_ns);

	text_head(t, name, "histogram",
	    "Time taken by the store operation of each SMTP event.");
	for (size_t b = 0; b < METRICS_BUCKETS; b++) {
		seen += metrics_read(&metrics.latency[b]);
		text_printf(t, "%s_bucket{le=\"%s\"} %llu\n", name,
		    metrics_buckets[b].le, (unsigned long long)seen);
	}
	seen += metrics_read(&metrics.latency[METRICS_BUCKETS]);
	text_printf(t, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)seen);
	text_printf(t, "%s_sum %llu.%09llu\n", name,
	    (unsigned long long)(sum / 1000000000u),
	    (unsigned long long)(sum % 1000000000u));
	text_printf(t, "%s_count %llu\n", name, (unsigned long long)seen);
}

static void render_store(struct metrics_text *t)
{
	text_head(t, "bulwark_store_errors_total", "counter",
	    "Store operations that failed; their events were decided "
	    "without the store.");
	text_printf(t, "bulwark_store_errors_total %llu\n",
	    (unsigned long long)metrics_read(&metrics.store_errors));
	render_latency(t);
}

static void render_reloads(struct metrics_text *t)
{
	text_head(t, "bulwark_config_reloads_total", "counter",
	    "Configuration reloads, by result: ok, or failed (the running "
	    "configuration stayed).");
	text_labeled(t, "bulwark_config_reloads_total", "result", "ok",
	    metrics_read(&metrics.reloads_ok));
	text_labeled(t, "bulwark_config_reloads_total", "result", "failed",
	    metrics_read(&metrics.reloads_failed));
}

char *metrics_render(struct store *store, int64_t now)
{
	struct metrics_text t = { xmalloc(8192), 0, 8192 };

	render_info(&t);
	render_traffic(&t);
	if (store != NULL)
		render_store_state(&t, store, now);
	render_store(&t);
	render_reloads(&t);
	return t.data;
}
