/*
 * policy.c - SMTP events to verdicts.  See policy.h for the contract and
 * DESIGN.md for the rule semantics this drives through the store.
 *
 * Per event the engine does at most one store operation: at CONNECT one
 * record that checks every block and counts DoS, per counted invalid
 * recipient one DHA record, per flagged connection one attack record,
 * and with dha.min_ratio per valid recipient one DHA record that counts
 * it only towards the ratio.
 * Unexpected commands are counted in the session, not the store.
 * Each of these steps is also counted in metrics.h; a refusal is counted
 * where it is decided, never when a session replays it.  A refusal is
 * logged once each, except those the store's record of known blocks
 * decided (store_known.h): it logs them as one summary per block.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "policy_impl.h"
#include "policy_share.h"
#include "ratelimit.h"
#include "recipients.h"
#include "sessions.h"
#include "verified.h"
#include "xalloc.h"

/* The reply to a recipient missing from dha.recipients_file. */
static const char policy_unknown_user_text[] = "No such user here";
/* The address and host of a connection without an IP address. */
static const char policy_unknown_addr[] = "unknown";
/* The reply while the shared store is away and its fallback says tempfail. */
static const char policy_unavailable_text[] = "Service temporarily unavailable, try again later";

struct policy *policy_new(struct config *cfg, struct store *store)
{
	struct policy *policy = xcalloc(1, sizeof(*policy));

	pthread_mutex_init(&policy->lock, NULL);
	policy->cfg = cfg;
	policy->store = store;
	policy->sessions = sessions_new(SESSIONS_CAPACITY);
	store_set_sessions_source(store, policy_share_sessions, policy);
	return policy;
}

void policy_free(struct policy *policy)
{
	if (policy == NULL)
		return;
	store_set_sessions_source(policy->store, NULL, NULL);
	config_unref(policy->cfg);
	sessions_free(policy->sessions);
	pthread_mutex_destroy(&policy->lock);
	free(policy);
}

void policy_set_config(struct policy *policy, struct config *cfg)
{
	struct config *old;

	pthread_mutex_lock(&policy->lock);
	old = policy->cfg;
	policy->cfg = cfg;
	pthread_mutex_unlock(&policy->lock);
	config_unref(old);
}

struct config *policy_config(struct policy *policy)
{
	struct config *cfg;

	pthread_mutex_lock(&policy->lock);
	cfg = config_ref(policy->cfg);
	pthread_mutex_unlock(&policy->lock);
	return cfg;
}

void policy_set_observer(struct policy *policy, policy_observer_fn fn,
    void *arg)
{
	__atomic_store_n(&policy->observer, NULL, __ATOMIC_RELEASE);
	policy->observer_arg = arg;
	__atomic_store_n(&policy->observer, fn, __ATOMIC_RELEASE);
}

uint64_t policy_session_id(const struct policy_session *session)
{
	return session->id;
}

struct sessions *policy_sessions(struct policy *policy)
{
	return policy->sessions;
}

/*
 * Refuse the session with action, and keep refusing it; the reply names
 * what refused (%d) and until when (%u, 0: no end).
 */
static void policy_refuse(struct policy_session *s, enum action action,
    const char *template, const char *what, int64_t until,
    enum policy_stage stage, struct verdict *verdict)
{
	struct reply_vars vars = { s->addr_text, what, until };

	if (verdict_refuse(verdict, policy_effective(s->cfg, action),
	    stage == STAGE_CONNECT, template, &vars))
		s->refusal = *verdict;
}

/* Turn a store result into the verdict of this event. */
static void policy_apply(struct policy_session *s,
    const struct store_result *result, enum policy_stage stage,
    const char *stage_name, struct verdict *verdict)
{
	enum action action = s->cfg->actions[result->detector];

	verdict_continue(verdict);
	if (result->outcome == RULE_ALLOWED)
		return;
	if (result->outcome == RULE_TRIPPED) {
		metrics_block_started(result->detector, result->level,
		    result->network);
		policy_log_block(s, result);
	}
	metrics_refusal(result->detector, policy_effective(s->cfg, action));
	/* The record of known blocks logs its refusals as a summary. */
	if (!result->known)
		policy_log_refuse(s, stage_name, detector_name(result->detector),
		    policy_effective(s->cfg, action), result->block_until,
		    result->network ? &result->network_key : NULL);
	policy_refuse(s, action, s->cfg->replies[result->detector],
	    detector_name(result->detector), result->block_until, stage,
	    verdict);
}

/*
 * An event the shared store did not decide (result->decided says what
 * did): counted by what decided it, and logged, except while the node
 * decides with its local store for want of the shared one, which the
 * store's own event=store-degraded line has said.
 */
static void policy_store_failed(const struct policy_session *s,
    const struct store_result *result, enum detector detector, int64_t now)
{
	metrics_store_error(result->decided);
	if (result->decided != STORE_DECIDED_LOCAL ||
	    !store_degraded(s->policy->store))
		policy_log_store_error(s, detector, now);
}

/*
 * An event no store decided: what the store's fallback decided (accept
 * or tempfail) as a verdict.  A store without a fallback that fails lets
 * the event through.
 */
static void policy_undecided(const struct policy_session *s,
    const struct store_result *result, struct verdict *verdict)
{
	verdict_continue(verdict);
	if (result->decided != STORE_DECIDED_TEMPFAIL || s->cfg->monitor_only)
		return;
	verdict_set(verdict, VERDICT_TEMPFAIL, "421", "4.3.0");
	snprintf(verdict->text, sizeof(verdict->text), "%s",
	    policy_unavailable_text);
}

/*
 * One store operation for this session's host (policy_record() builds a
 * counting event, policy_valid_recipient() a valid one).  True when a store
 * decided (the shared one or the node's local one: result holds its
 * outcome); false when none did, with the verdict of the store's
 * fallback.
 */
static bool policy_record_event(struct policy_session *s,
    const struct store_event *event, struct store_result *result,
    struct verdict *verdict)
{
	struct store *store = s->policy->store;
	uint64_t started = metrics_monotonic_ns();

	if (store_record(store, event, result) < 0) {
		memset(result, 0, sizeof(*result));
		result->decided = STORE_DECIDED_ACCEPT;
	}
	metrics_store_latency_ns(metrics_monotonic_ns() - started);
	if (result->decided != STORE_DECIDED_STORE)
		policy_store_failed(s, result, event->counted, event->now);
	if (result->decided == STORE_DECIDED_STORE ||
	    result->decided == STORE_DECIDED_LOCAL) {
		policy_observer_fn observer = __atomic_load_n(
		    &s->policy->observer, __ATOMIC_ACQUIRE);

		if (observer != NULL)
			observer(event, result, s->policy->observer_arg);
		return true;
	}
	policy_undecided(s, result, verdict);
	return false;
}

/* An event of the session's host (and its networks) for detector. */
static void policy_event(const struct policy_session *s,
    enum detector detector, int64_t now, struct store_event *event)
{
	memset(event, 0, sizeof(*event));
	event->key = s->key;
	event->now = now;
	event->counted = detector;
	event->rules = s->cfg->rules;
	if (s->has_nets) {
		event->net_rules = s->cfg->net_rules;
		memcpy(event->nets, s->nets, sizeof(event->nets));
	}
}

static bool policy_record(struct policy_session *s, enum detector detector,
    int connect, int64_t now, struct store_result *result,
    struct verdict *verdict)
{
	struct store_event event;
	const struct config *cfg = s->cfg;

	policy_event(s, detector, now, &event);
	event.connect = connect;

	if (connect && cfg->concurrency_enabled) {
		event.sessions_max = cfg->concurrency_max_sessions;
		event.sessions_enforce = policy_effective(cfg,
		    cfg->concurrency_action) != ACTION_LOG;
		event.sessions_lease = cfg->concurrency_lease;
		event.sessions_seq = s->count_seq;
	}
	metrics_event(detector);
	return policy_record_event(s, &event, result, verdict);
}

/* A valid recipient, for dha.min_ratio; the verdict is always continue. */
static void policy_valid_recipient(struct policy_session *s, int64_t now)
{
	struct store_event event;
	struct store_result result;
	struct verdict ignored;

	if (!s->cfg->rules[DETECTOR_DHA].enabled ||
	    s->cfg->rules[DETECTOR_DHA].min_ratio == 0)
		return;
	policy_event(s, DETECTOR_DHA, now, &event);
	event.valid = 1;
	(void)policy_record_event(s, &event, &result, &ignored);
}

/* The host's network for each detector with a network rule. */
static void policy_set_networks(struct policy_session *s,
    const struct host_addr *addr)
{
	const struct config *cfg = s->cfg;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (!cfg->net_rules[d].enabled)
			continue;
		addr_key(addr, cfg->networks[d].ipv4_prefix,
		    cfg->networks[d].ipv6_prefix, &s->nets[d]);
		s->has_nets = true;
	}
}

static struct policy_session *policy_session_new(struct policy *policy)
{
	struct policy_session *s = xcalloc(1, sizeof(*s));

	s->policy = policy;
	s->cfg = policy_config(policy);
	s->id = __atomic_add_fetch(&policy->next_session_id, 1, __ATOMIC_RELAXED);
	memcpy(s->addr_text, policy_unknown_addr, sizeof(policy_unknown_addr));
	memcpy(s->key_text, policy_unknown_addr, sizeof(policy_unknown_addr));
	verdict_continue(&s->refusal);
	return s;
}

static void policy_refuse_blocked_list(struct policy_session *s,
    struct verdict *verdict)
{
	enum action action = policy_effective(s->cfg, s->cfg->blocked_action);

	metrics_blocked_list_refusal(action);
	policy_log_refuse(s, "connect", "blocked-list", action, 0, NULL);
	policy_refuse(s, s->cfg->blocked_action, s->cfg->replies[DETECTOR_MANUAL],
	    "blocked-list", 0, STAGE_CONNECT, verdict);
}

/* Uncount the session from the store's live sessions. */
static void policy_release(struct policy_session *s)
{
	if (!s->shared)
		return;
	s->shared = false;
	store_session_release(s->policy->store, &s->key,
	    s->cfg->concurrency_lease);
}

/*
 * The concurrency limit, for a host with live sessions (this one
 * included): across the array when the store counted them, else on this
 * node alone.
 */
static void policy_concurrency(struct policy_session *s, uint32_t live,
    struct verdict *verdict)
{
	const struct config *cfg = s->cfg;
	enum action action = policy_effective(cfg, cfg->concurrency_action);

	if (!cfg->concurrency_enabled || live <= cfg->concurrency_max_sessions)
		return;
	metrics_concurrency_refusal(action);
	policy_log_refuse(s, "connect", "concurrency", action, 0, NULL);
	policy_refuse(s, cfg->concurrency_action, cfg->concurrency_reply,
	    "concurrency", 0, STAGE_CONNECT, verdict);
}

/*
 * A connection refused at CONNECT is dropped by the MTA: not live.  The
 * store is told of an end before the table, and of a start after it (with
 * the table's sequence, so that it ignores an older refresh), so that the
 * store's refresh, which rewrites counts from the table, may count a
 * session too many for a moment but never one too few.
 */
static struct policy_session *policy_connected(struct policy_session *s,
    const struct verdict *verdict)
{
	if (verdict->kind != VERDICT_CONTINUE) {
		policy_release(s);
		sessions_close(s->policy->sessions, s->live);
		s->live = 0;
	}
	return s;
}

/* Why a host is never counted (counted in metrics), or NULL. */
static const char *policy_excluded(const struct config *cfg,
    const struct host_addr *addr, const char *verified_name)
{
	if (hostlist_match(cfg->exclude, addr)) {
		metrics_exclusion(METRICS_EXCLUDE_LIST);
		return "exclude-list";
	}
	if (verified_match(cfg->exclude_verified_domains,
	    cfg->exclude_verified_domain_count, verified_name)) {
		metrics_exclusion(METRICS_EXCLUDE_VERIFIED);
		return "verified-domain";
	}
	return NULL;
}

struct policy_session *policy_connect(struct policy *policy,
    const struct host_addr *addr, int64_t now, struct verdict *verdict)
{
	return policy_connect_named(policy, addr, NULL, now, verdict);
}

struct policy_session *policy_connect_named(struct policy *policy,
    const struct host_addr *addr, const char *verified_name, int64_t now,
    struct verdict *verdict)
{
	struct policy_session *s = policy_session_new(policy);
	const struct config *cfg = s->cfg;
	struct store_result result;
	const char *excluded;
	uint32_t live;

	verdict_continue(verdict);
	if (addr == NULL)
		return s;
	metrics_connection();
	addr_format(addr, s->addr_text, sizeof(s->addr_text));
	addr_key(addr, cfg->ipv4_prefix, cfg->ipv6_prefix, &s->key);
	host_key_format_of(&s->key, s->addr_text, s->key_text,
	    sizeof(s->key_text));
	s->live = sessions_open(policy->sessions, &s->key, now, &live);
	if (hostlist_match(cfg->blocked, addr)) {
		policy_refuse_blocked_list(s, verdict);
		return policy_connected(s, verdict);
	}
	if ((excluded = policy_excluded(cfg, addr, verified_name)) != NULL) {
		log_debug("event=exclude session=%llx addr=%s reason=%s",
		    (unsigned long long)s->id, s->addr_text, excluded);
		return s;
	}
	s->counted = true;
	policy_set_networks(s, addr);
	/* Counted in the table before the store: see policy_connected(). */
	if (cfg->concurrency_enabled)
		s->count_seq = sessions_count(policy->sessions, s->live);
	if (policy_record(s, DETECTOR_DOS, 1, now, &result, verdict))
		policy_apply(s, &result, STAGE_CONNECT, "connect", verdict);
	s->shared = result.session_held != 0;
	if (verdict->kind == VERDICT_CONTINUE)
		policy_concurrency(s, result.sessions > 0 ? result.sessions : live,
		    verdict);
	return policy_connected(s, verdict);
}

/* Replay the session's refusal; true when there is one. */
static bool policy_refused(const struct policy_session *s,
    struct verdict *verdict)
{
	*verdict = s->refusal;
	return s->refusal.kind != VERDICT_CONTINUE;
}

/*
 * The host's flagged connection counts towards an attack block; true when
 * the attack rule refused it (a block started or already in force).
 */
static bool policy_count_flagged(struct policy_session *s, int64_t now,
    struct verdict *verdict)
{
	struct store_result result;

	if (!s->cfg->rules[DETECTOR_ATTACK].enabled ||
	    !policy_record(s, DETECTOR_ATTACK, 0, now, &result, verdict))
		return false;
	policy_apply(s, &result, STAGE_LATER, "flag", verdict);
	return result.outcome != RULE_ALLOWED;
}

/* An unexpected command was counted: flag the connection past the limit. */
static void policy_unexpected(struct policy_session *s, const char *what,
    const char *text, int64_t now, struct verdict *verdict)
{
	const struct config *cfg = s->cfg;
	unsigned total = s->unexpected_helo + s->unexpected_unknown +
	    s->unexpected_rset;
	enum action action;

	verdict_continue(verdict);
	if (s->flagged || total <= cfg->attack_max_commands)
		return;
	s->flagged = true;
	metrics_flagged();
	policy_log_flag(s, what, text);
	/* A refusal by the attack rule (even one only logged) is the verdict. */
	if (policy_count_flagged(s, now, verdict) ||
	    verdict->kind != VERDICT_CONTINUE)
		return;
	action = policy_effective(cfg, cfg->attack_action);
	metrics_refusal(DETECTOR_ATTACK, action);
	if (action != ACTION_LOG)
		policy_log_refuse(s, "flag", detector_name(DETECTOR_ATTACK),
		    action, 0, NULL);
	policy_refuse(s, cfg->attack_action, cfg->replies[DETECTOR_ATTACK],
	    detector_name(DETECTOR_ATTACK), 0, STAGE_LATER, verdict);
}

static bool policy_counts(const struct policy_session *s, unsigned what)
{
	return s->counted && s->cfg->attack_enabled &&
	    (s->cfg->attack_count & what) != 0;
}

/* A HELO/EHLO is expected once in the clear and once after STARTTLS. */
static bool policy_helo_expected(struct policy_session *s, bool tls)
{
	bool *seen = tls ? &s->helo_seen_tls : &s->helo_seen;

	if (*seen)
		return false;
	*seen = true;
	return true;
}

void policy_helo(struct policy_session *s, const char *name, bool tls,
    int64_t now, struct verdict *verdict)
{
	sessions_advance(s->policy->sessions, s->live, SESSIONS_GREETED);
	if (policy_refused(s, verdict))
		return;
	/* A HELO resets any transaction. */
	s->in_transaction = false;
	if (policy_helo_expected(s, tls) || !policy_counts(s, ATTACK_COUNT_HELO))
		return;
	s->unexpected_helo++;
	policy_unexpected(s, "helo", name != NULL ? name : "", now, verdict);
}

void policy_mail(struct policy_session *s, const char *auth_user,
    int64_t now, struct verdict *verdict)
{
	(void)now;
	sessions_advance(s->policy->sessions, s->live, SESSIONS_TRANSACTION);
	if (policy_refused(s, verdict))
		return;
	s->in_transaction = true;
	if (s->counted && auth_user != NULL && *auth_user != '\0' &&
	    s->cfg->exclude_authenticated) {
		s->counted = false;
		log_debug("event=exclude session=%llx addr=%s reason=authenticated",
		    (unsigned long long)s->id, s->addr_text);
	}
}

/* Count one invalid recipient; the verdict when it was refused. */
static void policy_invalid_recipient(struct policy_session *s, int64_t now,
    struct verdict *verdict)
{
	struct store_result result;

	verdict_continue(verdict);
	if (policy_record(s, DETECTOR_DHA, 0, now, &result, verdict))
		policy_apply(s, &result, STAGE_LATER, "rcpt", verdict);
}

void policy_rcpt(struct policy_session *s, const struct policy_rcpt *rcpt,
    int64_t now, struct verdict *verdict)
{
	const struct config *cfg = s->cfg;

	if (policy_refused(s, verdict) || !s->counted)
		return;
	if (rcpt->rejected) {
		if (rcpt->status != NULL && config_dha_status_counts(cfg, rcpt->status))
			policy_invalid_recipient(s, now, verdict);
		return;
	}
	if (cfg->dha_recipients == NULL ||
	    recipients_valid(cfg->dha_recipients, rcpt->address)) {
		policy_valid_recipient(s, now);
		return;
	}
	policy_invalid_recipient(s, now, verdict);
	if (verdict->kind == VERDICT_CONTINUE && !cfg->monitor_only) {
		verdict_set(verdict, VERDICT_REJECT, "550", "5.1.1");
		snprintf(verdict->text, sizeof(verdict->text), "%s",
		    policy_unknown_user_text);
	}
}

void policy_data(struct policy_session *s, int64_t now,
    struct verdict *verdict)
{
	(void)now;
	sessions_advance(s->policy->sessions, s->live, SESSIONS_DATA);
	policy_refused(s, verdict);
}

void policy_unknown(struct policy_session *s, const char *command,
    int64_t now, struct verdict *verdict)
{
	if (policy_refused(s, verdict) || !policy_counts(s, ATTACK_COUNT_UNKNOWN))
		return;
	s->unexpected_unknown++;
	policy_unexpected(s, "unknown", command != NULL ? command : "", now,
	    verdict);
}

void policy_abort(struct policy_session *s, int64_t now)
{
	struct verdict ignored;

	if (!s->in_transaction)
		return;
	s->in_transaction = false;
	if (s->refusal.kind != VERDICT_CONTINUE ||
	    !policy_counts(s, ATTACK_COUNT_RSET))
		return;
	s->unexpected_rset++;
	/* The MTA ignores this verdict; a refusal is replayed on the next event. */
	policy_unexpected(s, "rset", "RSET", now, &ignored);
}

void policy_end_of_message(struct policy_session *s)
{
	s->in_transaction = false;
}

void policy_close(struct policy_session *s)
{
	if (s == NULL)
		return;
	policy_release(s);
	sessions_close(s->policy->sessions, s->live);
	config_unref(s->cfg);
	free(s);
}

bool policy_needs(const struct policy_session *s, enum policy_input input)
{
	if (s->refusal.kind != VERDICT_CONTINUE)
		return false;
	switch (input) {
	case POLICY_INPUT_TLS:
		return policy_counts(s, ATTACK_COUNT_HELO);
	case POLICY_INPUT_AUTH:
		return s->counted && s->cfg->exclude_authenticated;
	case POLICY_INPUT_RCPT_REJECTED:
		return s->counted;
	}
	return true;
}
