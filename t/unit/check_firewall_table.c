/*
 * check_firewall_table.c - the firewall's mirror of its sets (lookups,
 * covering prefixes, expiry, removal keeping every other entry
 * reachable) and its guard (loopback, the node's own addresses, excluded
 * prefixes in either direction).
 */
#include <check.h>
#include <stdlib.h>

#include "firewall_guard.h"
#include "firewall_table.h"

static struct host_key key(const char *text, unsigned prefix)
{
	struct host_addr addr;
	struct host_key k;

	ck_assert_int_eq(addr_parse(text, &addr), 0);
	addr_key(&addr, prefix, prefix, &k);
	return k;
}

START_TEST(find_put_expire)
{
	struct firewall_table t;
	struct host_key a = key("198.51.100.7", 32), b = key("2001:db8::1", 64);

	firewall_table_init(&t);
	ck_assert_ptr_null(firewall_table_find(&t, &a, 100));
	firewall_table_put(&t, &a, 200);
	firewall_table_put(&t, &b, 0);
	ck_assert_ptr_nonnull(firewall_table_find(&t, &a, 199));
	ck_assert_ptr_null(firewall_table_find(&t, &a, 200));
	ck_assert_ptr_nonnull(firewall_table_find(&t, &b, 1000000));
	firewall_table_put(&t, &a, 300);
	ck_assert_uint_eq(t.count, 2);
	ck_assert_int_eq(firewall_table_find(&t, &a, 250)->until, 300);
	ck_assert_uint_eq(firewall_table_purge(&t, 300), 1);
	ck_assert_ptr_null(firewall_table_find(&t, &a, 0));
	firewall_table_del(&t, &b);
	ck_assert_uint_eq(t.count, 0);
	firewall_table_free(&t);
}
END_TEST

/* Many entries, half removed: the rest are all still found. */
START_TEST(removal_keeps_the_rest)
{
	struct firewall_table t;
	struct host_key k;
	struct host_addr addr = { .family = 4, .bytes = { 203, 0, 0, 0 } };

	firewall_table_init(&t);
	for (unsigned i = 0; i < 5000; i++) {
		addr.bytes[2] = (uint8_t)(i >> 8);
		addr.bytes[3] = (uint8_t)i;
		addr_key(&addr, 32, 128, &k);
		firewall_table_put(&t, &k, 1000 + (i % 2));
	}
	ck_assert_uint_eq(firewall_table_purge(&t, 1000), 2500);
	for (unsigned i = 0; i < 5000; i++) {
		addr.bytes[2] = (uint8_t)(i >> 8);
		addr.bytes[3] = (uint8_t)i;
		addr_key(&addr, 32, 128, &k);
		if (i % 2)
			ck_assert_ptr_nonnull(firewall_table_find(&t, &k, 1000));
		else
			ck_assert_ptr_null(firewall_table_find(&t, &k, 0));
	}
	firewall_table_free(&t);
}
END_TEST

START_TEST(covering_and_longer)
{
	struct firewall_table t;
	struct host_key net = key("198.51.100.0", 24);
	struct host_key host = key("198.51.100.9", 32);
	struct host_key other = key("198.51.101.9", 32);
	struct host_key v6 = key("2001:db8::1", 64);

	firewall_table_init(&t);
	firewall_table_put(&t, &net, 500);
	ck_assert_ptr_nonnull(firewall_table_covering(&t, &host, 100));
	ck_assert_ptr_null(firewall_table_covering(&t, &host, 500));
	ck_assert_ptr_null(firewall_table_covering(&t, &other, 100));
	ck_assert_ptr_null(firewall_table_covering(&t, &net, 100));
	ck_assert_ptr_null(firewall_table_covering(&t, &v6, 100));
	ck_assert(!firewall_table_has_longer(&t, &net));
	firewall_table_put(&t, &host, 0);
	ck_assert(firewall_table_has_longer(&t, &net));
	ck_assert(!firewall_table_has_longer(&t, &v6));
	ck_assert(firewall_keys_overlap(&net, &host));
	ck_assert(!firewall_keys_overlap(&net, &other));
	ck_assert(!firewall_keys_overlap(&net, &v6));
	firewall_table_free(&t);
}
END_TEST

START_TEST(guard)
{
	struct firewall_guard g;
	struct hostlist *exclude = hostlist_new();
	struct host_key own;
	char err[256];

	firewall_guard_init(&g);
	ck_assert_int_eq(firewall_guard_load(&g, err, sizeof(err)), 0);
	ck_assert_str_eq(firewall_guard_refuses(&g, NULL,
	    &(struct host_key){ .family = 4, .prefix = 32,
	    .bytes = { 127, 0, 0, 9 } }), "loopback");
	own = key("::1", 128);
	ck_assert_str_eq(firewall_guard_refuses(&g, NULL, &own), "loopback");
	own = key("0.0.0.0", 1);
	ck_assert_str_eq(firewall_guard_refuses(&g, NULL, &own), "loopback");
	ck_assert_int_eq(hostlist_add(exclude, "203.0.113.128/25", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(hostlist_add(exclude, "2001:db8:7::5", err,
	    sizeof(err)), 0);
	own = key("203.0.113.200", 32);
	ck_assert_str_eq(firewall_guard_refuses(&g, exclude, &own), "excluded");
	own = key("203.0.113.0", 24);
	ck_assert_str_eq(firewall_guard_refuses(&g, exclude, &own), "excluded");
	own = key("2001:db8:7::", 64);
	ck_assert_str_eq(firewall_guard_refuses(&g, exclude, &own), "excluded");
	own = key("203.0.113.1", 32);
	ck_assert_ptr_null(firewall_guard_refuses(&g, exclude, &own));
	/* The node's own addresses, as loaded: every one is refused. */
	for (size_t i = 0; i < g.own_count; i++)
		ck_assert_ptr_nonnull(firewall_guard_refuses(&g, NULL, &g.own[i]));
	ck_assert_uint_gt(g.own_count, 0);
	hostlist_free(exclude);
	firewall_guard_free(&g);
}
END_TEST

static Suite *firewall_table_suite(void)
{
	Suite *suite = suite_create("firewall_table");
	TCase *tc = tcase_create("firewall_table");

	tcase_add_test(tc, find_put_expire);
	tcase_add_test(tc, removal_keeps_the_rest);
	tcase_add_test(tc, covering_and_longer);
	tcase_add_test(tc, guard);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(firewall_table_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
