/*
 * check_ratelimit.c - unit tests for lib/ratelimit.c: one line a second,
 * the count of the lines left out, and no event lost between threads.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "ratelimit.h"

START_TEST(one_a_second)
{
	static struct ratelimit r;
	uint64_t unlogged = 99;

	ck_assert(ratelimit_pass(&r, 100, &unlogged));
	ck_assert_uint_eq(unlogged, 0);
	for (int i = 0; i < 5; i++)
		ck_assert(!ratelimit_pass(&r, 100, &unlogged));
	ck_assert(ratelimit_pass(&r, 101, &unlogged));
	ck_assert_uint_eq(unlogged, 5);
	ck_assert(!ratelimit_pass(&r, 101, &unlogged));
	ck_assert(ratelimit_pass(&r, 200, &unlogged));
	ck_assert_uint_eq(unlogged, 1);
}
END_TEST

#define THREADS		4
#define EVENTS		100000

static struct ratelimit shared;
static uint64_t logged_counts[THREADS], passes[THREADS];

static void *hammer(void *arg)
{
	size_t t = (size_t)arg;
	uint64_t unlogged;

	for (int i = 0; i < EVENTS; i++) {
		if (ratelimit_pass(&shared, 1 + i / 1000, &unlogged)) {
			passes[t]++;
			logged_counts[t] += unlogged;
		}
	}
	return NULL;
}

/* Every event is either logged or counted in a later line's unlogged. */
START_TEST(threads_lose_nothing)
{
	pthread_t th[THREADS];
	uint64_t lines = 0, counted = 0, last = 0;

	for (size_t t = 0; t < THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, hammer,
		    (void *)t), 0);
	for (size_t t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		lines += passes[t];
		counted += logged_counts[t];
	}
	ratelimit_pass(&shared, 1000000, &last);
	ck_assert_uint_eq(lines + counted + last, (uint64_t)THREADS * EVENTS);
}
END_TEST

static Suite *ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("pass");

	tcase_add_test(tc, one_a_second);
	tcase_add_test(tc, threads_lose_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ratelimit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
