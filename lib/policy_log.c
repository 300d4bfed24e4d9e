/*
 * policy_log.c - the policy engine's log lines.  See policy_impl.h.
 *
 * key=value lines; client text (HELO names, commands) is escaped, never a
 * format.  A block's line says why it started: the count against the
 * threshold of the rule (rule=host: one host key; rule=network with
 * network=PREFIX: the network's), its period and the escalation level.
 */
#include <stdio.h>

#include "escape.h"
#include "isotime.h"
#include "log.h"
#include "policy_impl.h"
#include "ratelimit.h"

/* " network=PREFIX" for a network's block, else "". */
static const char *policy_log_network(const struct host_key *network,
    char *buf, size_t len)
{
	char text[ADDR_TEXT_MAX];

	if (network == NULL)
		return "";
	host_key_format(network, text, sizeof(text));
	snprintf(buf, len, " network=%s", text);
	return buf;
}

void policy_log_block(const struct policy_session *s,
    const struct store_result *result)
{
	const struct rule *rule = result->network ?
	    &s->cfg->net_rules[result->detector] :
	    &s->cfg->rules[result->detector];
	char until[ISOTIME_MAX], network[ADDR_TEXT_MAX + 16];

	isotime_format(result->block_until, until, sizeof(until));
	log_notice("event=block session=%llx detector=%s host=%s addr=%s "
	    "rule=%s%s count=%u threshold=%u period=%u level=%u until=%s "
	    "sliding=%s action=%s",
	    (unsigned long long)s->id, detector_name(result->detector),
	    s->key_text, s->addr_text, result->network ? "network" : "host",
	    policy_log_network(result->network ? &result->network_key : NULL,
	    network, sizeof(network)), result->count, rule->max, rule->period,
	    result->level, until,
	    rule->sliding ? "yes" : "no",
	    action_name(policy_effective(s->cfg, s->cfg->actions[result->detector])));
}

void policy_log_refuse(const struct policy_session *s,
    const char *stage, const char *detector, enum action action,
    int64_t until, const struct host_key *network)
{
	char until_text[ISOTIME_MAX] = "-", net[ADDR_TEXT_MAX + 16];

	if (until > 0)
		isotime_format(until, until_text, sizeof(until_text));
	log_info("event=refuse session=%llx stage=%s detector=%s host=%s addr=%s"
	    "%s action=%s%s until=%s", (unsigned long long)s->id, stage,
	    detector, s->key_text, s->addr_text,
	    policy_log_network(network, net, sizeof(net)), action_name(action),
	    s->cfg->monitor_only ? " monitor_only=yes" : "", until_text);
}

/*
 * While a store is away every event fails: log at most one line a second,
 * with how many were left unlogged since the last one.
 */
void policy_log_store_error(const struct policy_session *s,
    enum detector detector, int64_t now)
{
	static struct ratelimit limit;
	struct store *store = s->policy->store;
	uint64_t unlogged;

	if (!ratelimit_pass(&limit, now, &unlogged))
		return;
	log_warning("event=store-error session=%llx store=%s detector=%s "
	    "host=%s unlogged=%llu reason=\"%s\"", (unsigned long long)s->id,
	    store->ops->name, detector_name(detector), s->key_text,
	    (unsigned long long)unlogged, store_error(store));
}

void policy_log_flag(const struct policy_session *s, const char *what,
    const char *text)
{
	char escaped[ESCAPE_OUT_MAX];

	log_notice("event=flag session=%llx host=%s addr=%s helo=%u unknown=%u "
	    "rset=%u max_commands=%u last=%s text=\"%s\" action=%s",
	    (unsigned long long)s->id, s->key_text, s->addr_text,
	    s->unexpected_helo, s->unexpected_unknown, s->unexpected_rset,
	    s->cfg->attack_max_commands, what, escape(text, ESCAPE_CLIENT,
	    escaped, sizeof(escaped)), action_name(policy_effective(s->cfg,
	    s->cfg->attack_action)));
}
