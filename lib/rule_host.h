/*
 * rule_host.h - the rules of every detector on one host: the one place
 * that says whether a host is blocked, by what and until when.
 *
 * A host's state is one rule_state per detector (states[DETECTOR_COUNT],
 * indexed by enum detector).  Of several blocks in force the one that
 * ends last names the host's block; on a tie the lower detector does.
 *
 * rule_host_blocked(): 1 when a block of any detector is in force at now,
 *   with the one that ends last in *out (out may be NULL); else 0.  Blocks
 *   of disabled detectors count: the state says so, whatever the rules.
 * rule_host_check_blocks(): the CONNECT check of DESIGN.md: each enabled
 *   detector's block refuses, and each sliding one is moved (states
 *   change).  1 with the refusing block that ends last in *out, else 0.
 * rule_host_set_block(): detector's block runs from now to until (a
 *   block set by hand or learned from elsewhere; no threshold nor period
 *   recorded).
 * rule_host_expiry(): the time after which the host's state carries
 *   nothing (the latest rule_state_expiry()).
 */
#ifndef BULWARK_RULE_HOST_H
#define BULWARK_RULE_HOST_H

#include <stdint.h>

#include "detector.h"
#include "rule.h"

struct rule_block {
	enum detector detector;
	uint32_t count;			/* the detector's count */
	uint32_t level;			/* its escalation level */
	uint32_t threshold;		/* max and period when it started, */
	uint32_t period;		/* 0 when not started by the rule */
	int64_t start;			/* 0: unknown */
	int64_t until;
};

int rule_host_blocked(const struct rule_state *states, int64_t now,
    struct rule_block *out);
int rule_host_check_blocks(const struct rule *rules, struct rule_state *states,
    int64_t now, struct rule_block *out);
void rule_host_set_block(struct rule_state *states, enum detector detector,
    int64_t until, int64_t now);
int64_t rule_host_expiry(const struct rule *rules,
    const struct rule_state *states);

#endif
