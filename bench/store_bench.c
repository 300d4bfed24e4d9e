/*
 * store_bench.c - how fast a store records events.
 *
 * usage: store_bench [-n hosts] [-e events] [-t threads] [-m max_hosts]
 *                    [-r server]
 *
 * Opens a memory store, or with -r the Redis store on server ("host:port"
 * or "unix:/path"; keys "bulwark:bench:{...}", one connection per thread,
 * and a call Redis did not decide is an error), gives each of the hosts one CONNECT (the insert
 * pass), then records events CONNECTs spread at random over the hosts,
 * first from one thread, then from threads threads (each doing its share).
 * The clock moves one second every 10,000 events (over all threads), so
 * windows open and close as they would under load.  Prints ns/event and
 * events/s for each pass.  The DoS rule allows more than any host gets,
 * so every event takes the counting path.  Exits 1 on bad arguments or a
 * store error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

#define BENCH_T0 1700000000
#define BENCH_EVENTS_PER_SECOND 10000

struct bench {
	struct store *store;
	struct rule rules[DETECTOR_COUNT];
	unsigned hosts;
	unsigned long events;
	unsigned threads;
};

struct bench_worker {
	pthread_t thread;
	const struct bench *bench;
	unsigned long events;
	unsigned threads;		/* all workers share the clock's pace */
	int64_t t0;
	uint64_t rng;
	int failed;
};

static double bench_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t bench_next(uint64_t *state)
{
	/* xorshift64: cheap enough not to show in the timings. */
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static void bench_key(unsigned n, struct host_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = 4;
	key->prefix = 32;
	key->bytes[0] = (uint8_t)(10 + (n >> 24));
	key->bytes[1] = (uint8_t)(n >> 16);
	key->bytes[2] = (uint8_t)(n >> 8);
	key->bytes[3] = (uint8_t)n;
}

static int bench_event(const struct bench *bench, unsigned host, int64_t now)
{
	struct store_event event;
	struct store_result result;

	memset(&event, 0, sizeof(event));
	bench_key(host, &event.key);
	event.now = now;
	event.counted = DETECTOR_DOS;
	event.connect = 1;
	event.rules = bench->rules;
	/* Decided without Redis (its fallback answered) is a failure too. */
	if (store_record(bench->store, &event, &result) != 0 ||
	    result.decided != STORE_DECIDED_STORE)
		return -1;
	return 0;
}

static void *bench_work(void *arg)
{
	struct bench_worker *w = arg;

	for (unsigned long i = 0; i < w->events && !w->failed; i++) {
		unsigned host = (unsigned)(bench_next(&w->rng) % w->bench->hosts);
		int64_t now = w->t0 +
		    (int64_t)(i * w->threads / BENCH_EVENTS_PER_SECOND);

		w->failed = bench_event(w->bench, host, now) != 0;
	}
	return NULL;
}

static void bench_report(const struct bench *bench, const char *pass,
    unsigned threads, unsigned long events, double seconds)
{
	printf("%s %-7s threads=%-3u events=%-10lu ns/event=%8.1f "
	    "events/s=%.0f\n", bench->store->ops->name, pass, threads, events,
	    seconds * 1e9 / (double)events, (double)events / seconds);
}

static int bench_insert(const struct bench *bench)
{
	double start = bench_seconds();

	for (unsigned n = 0; n < bench->hosts; n++) {
		if (bench_event(bench, n, BENCH_T0) != 0)
			return -1;
	}
	bench_report(bench, "insert", 1, bench->hosts, bench_seconds() - start);
	return 0;
}

/* One pass starting at t0; return the time it ends at, or -1. */
static int64_t bench_run(const struct bench *bench, unsigned threads,
    int64_t t0)
{
	struct bench_worker *workers = calloc(threads, sizeof(*workers));
	double start;
	int failed = 0;

	if (workers == NULL)
		return -1;
	start = bench_seconds();
	for (unsigned i = 0; i < threads; i++) {
		workers[i].bench = bench;
		workers[i].events = bench->events / threads;
		workers[i].threads = threads;
		workers[i].t0 = t0;
		workers[i].rng = 0x9e3779b97f4a7c15u * (i + 1);
		if (pthread_create(&workers[i].thread, NULL, bench_work,
		    &workers[i]) != 0) {
			fprintf(stderr, "store_bench: cannot start a thread\n");
			exit(1);
		}
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(workers[i].thread, NULL);
		failed |= workers[i].failed;
	}
	bench_report(bench, "record", threads, bench->events / threads * threads,
	    bench_seconds() - start);
	free(workers);
	return failed ? -1 : t0 + (int64_t)(bench->events /
	    BENCH_EVENTS_PER_SECOND) + 1;
}

static unsigned long bench_number(const char *text)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);

	if (*text == '\0' || *end != '\0' || n == 0 || n > 4000000000ul) {
		fprintf(stderr, "store_bench: bad number \"%s\"\n", text);
		exit(1);
	}
	return n;
}

static void bench_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static void bench_use_redis(struct config *cfg, const char *server,
    unsigned threads)
{
	struct redis_config *rc = &cfg->redis;

	bench_set(&cfg->store, "redis");
	bench_set(&rc->server, server);
	bench_set(&rc->key_prefix, "bulwark:bench:");
	bench_set(&rc->master_name, "");
	bench_set(&rc->username, "");
	bench_set(&rc->password, "");
	rc->sentinel_count = 0;
	rc->database = 0;
	rc->timeout_ms = 1000;
	rc->pool_size = threads;
	rc->on_error = REDIS_ON_ERROR_ACCEPT;
}

static void bench_usage(void)
{
	fprintf(stderr, "usage: store_bench [-n hosts] [-e events] "
	    "[-t threads] [-m max_hosts] [-r server]\n");
	exit(1);
}

int main(int argc, char **argv)
{
	struct bench bench = { NULL, { { 0 } }, 100000, 10000000, 0 };
	struct config *cfg = config_defaults();
	char err[256];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t t = BENCH_T0;
	const char *redis = NULL;
	int opt;

	bench.threads = cpus > 1 ? (unsigned)cpus : 4;
	while ((opt = getopt(argc, argv, "n:e:t:m:r:")) != -1) {
		switch (opt) {
		case 'n':
			bench.hosts = (unsigned)bench_number(optarg);
			break;
		case 'e':
			bench.events = bench_number(optarg);
			break;
		case 't':
			bench.threads = (unsigned)bench_number(optarg);
			break;
		case 'm':
			cfg->memory_max_hosts = (unsigned)bench_number(optarg);
			break;
		case 'r':
			redis = optarg;
			break;
		default:
			bench_usage();
		}
	}
	if (optind != argc)
		bench_usage();
	log_set_level(LOG_LEVEL_ERROR);
	if (redis != NULL)
		bench_use_redis(cfg, redis, bench.threads);
	memcpy(bench.rules, cfg->rules, sizeof(bench.rules));
	bench.rules[DETECTOR_DOS].enabled = true;
	bench.rules[DETECTOR_DOS].max = UINT32_MAX - 1;
	bench.store = store_open(cfg, err, sizeof(err));
	if (bench.store == NULL) {
		fprintf(stderr, "store_bench: %s\n", err);
		return 1;
	}
	printf("%s store: hosts=%u max_hosts=%u\n", bench.store->ops->name,
	    bench.hosts, cfg->memory_max_hosts);
	if (bench_insert(&bench) != 0 || (t = bench_run(&bench, 1, t)) < 0 ||
	    bench_run(&bench, bench.threads, t) < 0) {
		fprintf(stderr, "store_bench: %s\n", store_error(bench.store));
		return 1;
	}
	store_close(bench.store);
	config_unref(cfg);
	return 0;
}
