/*
 * sessions_bench.c - what the live sessions table costs a session.
 *
 * usage: sessions_bench [-s sessions] [-n hosts] [-l live] [-t threads]
 *
 * Each thread keeps live sessions open (its share of -l, default 1000)
 * and, sessions times in all (default 2,000,000), closes its oldest one
 * and opens a new one from one of hosts hosts (default 10,000) chosen at
 * random, taking it through HELO, MAIL and DATA: one whole session's
 * calls.  Prints ns per session and sessions per second, first from one
 * thread, then from threads threads (default 4).  Exits 1 on bad
 * arguments.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sessions.h"
#include "xalloc.h"

struct bench {
	struct sessions *table;
	unsigned long sessions;
	unsigned hosts;
	unsigned live;
	unsigned threads;
};

struct bench_worker {
	const struct bench *b;
	unsigned long sessions;
	unsigned live;
	unsigned seed;
};

static struct host_key bench_key(unsigned host)
{
	struct host_key key = { .family = 4, .prefix = 32 };

	key.bytes[0] = 10;
	key.bytes[1] = (uint8_t)(host >> 16);
	key.bytes[2] = (uint8_t)(host >> 8);
	key.bytes[3] = (uint8_t)host;
	return key;
}

static uint64_t bench_open(struct bench_worker *w)
{
	struct host_key key = bench_key((unsigned)rand_r(&w->seed) %
	    w->b->hosts);
	uint64_t h = sessions_open(w->b->table, &key, 1, NULL);

	sessions_advance(w->b->table, h, SESSIONS_GREETED);
	sessions_advance(w->b->table, h, SESSIONS_TRANSACTION);
	sessions_advance(w->b->table, h, SESSIONS_DATA);
	return h;
}

static void *bench_run(void *arg)
{
	struct bench_worker *w = arg;
	uint64_t *ring = xcalloc(w->live, sizeof(*ring));

	for (unsigned i = 0; i < w->live; i++)
		ring[i] = bench_open(w);
	for (unsigned long i = 0; i < w->sessions; i++) {
		sessions_close(w->b->table, ring[i % w->live]);
		ring[i % w->live] = bench_open(w);
	}
	for (unsigned i = 0; i < w->live; i++)
		sessions_close(w->b->table, ring[i]);
	free(ring);
	return NULL;
}

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_pass(const struct bench *b, unsigned threads)
{
	pthread_t *tids = xcalloc(threads, sizeof(*tids));
	struct bench_worker *w = xcalloc(threads, sizeof(*w));
	double start = bench_now(), took;

	for (unsigned t = 0; t < threads; t++) {
		w[t] = (struct bench_worker){ b, b->sessions / threads,
		    b->live / threads > 0 ? b->live / threads : 1, t + 1 };
		pthread_create(&tids[t], NULL, bench_run, &w[t]);
	}
	for (unsigned t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	took = bench_now() - start;
	printf("%u thread%s: %.0f ns/session, %.0f sessions/s\n", threads,
	    threads == 1 ? "" : "s", took * 1e9 / (double)b->sessions,
	    (double)b->sessions / took);
	free(tids);
	free(w);
}

static void bench_usage(void)
{
	fprintf(stderr, "usage: sessions_bench [-s sessions] [-n hosts] "
	    "[-l live] [-t threads]\n");
	exit(1);
}

static unsigned long bench_number(const char *text)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);

	if (*text == '\0' || *end != '\0' || n == 0 || n > 100000000)
		bench_usage();
	return n;
}

int main(int argc, char **argv)
{
	struct bench b = { .sessions = 2000000, .hosts = 10000, .live = 1000,
	    .threads = 4 };
	int c;

	while ((c = getopt(argc, argv, "l:n:s:t:")) != -1) {
		switch (c) {
		case 'l': b.live = (unsigned)bench_number(optarg); break;
		case 'n': b.hosts = (unsigned)bench_number(optarg); break;
		case 's': b.sessions = bench_number(optarg); break;
		case 't': b.threads = (unsigned)bench_number(optarg); break;
		default: bench_usage();
		}
	}
	if (optind != argc || b.live > SESSIONS_CAPACITY)
		bench_usage();
	b.table = sessions_new(SESSIONS_CAPACITY);
	printf("sessions table: %u live of %u, %u hosts\n", b.live,
	    SESSIONS_CAPACITY, b.hosts);
	bench_pass(&b, 1);
	bench_pass(&b, b.threads);
	sessions_free(b.table);
	return 0;
}
