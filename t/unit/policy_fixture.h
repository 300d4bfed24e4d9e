/*
 * policy_fixture.h - the policy engine on the memory store, for the unit
 * suites that drive it with an injected clock.
 *
 * cfg, store and policy are the suite's engine.  fixture_setup() gives
 * cfg the defaults with small rules (DoS: more than 3 connections in
 * 60 s blocks for 600 s; DHA: more than 2 invalid recipients in 300 s
 * blocks for 900 s; a connection is flagged after 2 unexpected commands)
 * and no engine yet.  A test adjusts cfg, then fixture_start() opens the
 * store cfg names and the engine on it; the test fails when the store
 * cannot be opened.  fixture_teardown() frees the engine, closes a
 * memory store (a test may put in a static store of its own) and drops
 * cfg.  T0 is the clock's start.
 *
 * Header only, since each suite is built from its one source file.
 */
#ifndef BULWARK_POLICY_FIXTURE_H
#define BULWARK_POLICY_FIXTURE_H

#include <check.h>

#include "config.h"
#include "policy.h"
#include "store.h"

#define T0 1700000000

static struct config *cfg;
static struct store *store;
static struct policy *policy;

static inline void fixture_setup(void)
{
	cfg = config_defaults();
	cfg->rules[DETECTOR_DOS].max = 3;
	cfg->rules[DETECTOR_DOS].period = 60;
	cfg->rules[DETECTOR_DOS].block = 600;
	cfg->rules[DETECTOR_DHA].max = 2;
	cfg->rules[DETECTOR_DHA].period = 300;
	cfg->rules[DETECTOR_DHA].block = 900;
	cfg->attack_max_commands = 2;
	store = NULL;
	policy = NULL;
}

static inline void fixture_start(void)
{
	char err[256];

	store = store_open(cfg, err, sizeof(err));
	ck_assert_msg(store != NULL, "store_open: %s", err);
	policy = policy_new(config_ref(cfg), store);
}

static inline void fixture_teardown(void)
{
	policy_free(policy);
	if (store != NULL && store->ops == &store_memory_ops)
		store_close(store);
	config_unref(cfg);
}

#endif
