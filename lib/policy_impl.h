/*
 * policy_impl.h - what the files of the policy engine share; included by
 * policy*.c only.  See policy.h for the engine's contract.
 *
 * policy_log.c: the engine's log lines (event=block, refuse, flag,
 *   store-error), client text escaped.
 * policy_effective(): the action taken, once monitor_only has had its say.
 */
#ifndef BULWARK_POLICY_IMPL_H
#define BULWARK_POLICY_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct policy {
	pthread_mutex_t lock;		/* guards cfg */
	struct config *cfg;
	struct store *store;
	struct sessions *sessions;	/* the live ones */
	uint64_t next_session_id;
	policy_observer_fn observer;	/* read and written atomically */
	void *observer_arg;
};

struct policy_session {
	struct policy *policy;
	struct config *cfg;		/* the configuration this session started with */
	uint64_t id;
	uint64_t live;			/* its handle in the live sessions, or 0 */
	bool counted;			/* has an IP, not excluded, not authenticated */
	bool shared;			/* counted in the store's live sessions */
	uint64_t count_seq;		/* sessions_count()'s, for the store */
	struct host_key key;
	bool has_nets;			/* a detector has a network rule */
	struct host_key nets[DETECTOR_COUNT];	/* the host's network, each */
	char addr_text[ADDR_TEXT_MAX];
	char key_text[ADDR_TEXT_MAX];
	bool helo_seen;			/* a HELO/EHLO before TLS */
	bool helo_seen_tls;		/* a HELO/EHLO after STARTTLS */
	bool in_transaction;		/* MAIL seen, message not yet ended */
	bool flagged;
	unsigned unexpected_helo;
	unsigned unexpected_unknown;
	unsigned unexpected_rset;
	struct verdict refusal;		/* kind != VERDICT_CONTINUE once refused */
};

enum policy_stage {
	STAGE_CONNECT,
	STAGE_LATER
};

/* The action taken, once monitor_only has had its say. */
static inline enum action policy_effective(const struct config *cfg,
    enum action action)
{
	return cfg->monitor_only ? ACTION_LOG : action;
}

void policy_log_block(const struct policy_session *s,
    const struct store_result *result);
void policy_log_refuse(const struct policy_session *s, const char *stage,
    const char *detector, enum action action, int64_t until,
    const struct host_key *network);
void policy_log_store_error(const struct policy_session *s,
    enum detector detector, int64_t now);
void policy_log_flag(const struct policy_session *s, const char *what,
    const char *text);

#endif
