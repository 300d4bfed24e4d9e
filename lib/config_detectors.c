/*
 * config_detectors.c - the dos, dha and attack groups of bulwark.conf:
 * one detection rule each, its action and reply; and the concurrency
 * group, a limit without a rule.  See bulwark.conf(5).
 *
 * The setters shared by the groups work on the rule of ld->detector,
 * which config_set_dos(), config_set_dha() and config_set_attack() set
 * before walking their group.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "duration.h"
#include "xalloc.h"

#define REPLY_MAX	400
#define MAX_EVENTS	10000000
#define MAX_FLAGGED	1000000
#define MAX_COMMANDS	100000
#define MAX_SESSIONS	100000
#define CONCURRENCY_LEASE_MIN	3
#define MAX_FACTOR	100
#define ESCALATE_FACTOR	2		/* the defaults of escalate = { } */
#define ESCALATE_MAX	86400
#define ESCALATE_FORGET	(7 * 86400)

static const struct name_value config_detector_actions[] = {
	{ "tempfail", ACTION_TEMPFAIL }, { "reject", ACTION_REJECT },
	{ "log", ACTION_LOG }, { NULL, 0 }
};

static const struct name_value config_attack_actions[] = {
	{ "log", ACTION_LOG }, { "tempfail", ACTION_TEMPFAIL }, { NULL, 0 }
};

static const struct name_value config_attack_commands[] = {
	{ "helo", ATTACK_COUNT_HELO }, { "unknown", ATTACK_COUNT_UNKNOWN },
	{ "rset", ATTACK_COUNT_RSET }, { NULL, 0 }
};

/* Checks of values: what is wrong, or NULL. */

static const char *reply_problem(const char *text)
{
	size_t len = strlen(text);

	if (len == 0 || len > REPLY_MAX)
		return "a reply must be 1 to 400 characters long";
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c > 0x7e)
			return "only printable ASCII characters are allowed";
		if (c != '%')
			continue;
		if (p[1] != 'a' && p[1] != 'd' && p[1] != 'u' && p[1] != '%')
			return "'%' must be written %a (the client address), %d "
			    "(the detector), %u (the end of the block) or %% (a "
			    "percent sign)";
		p++;
	}
	return NULL;
}

static bool status_code_valid(const char *code)
{
	const char *p = code + 1;

	if (code[0] != '4' && code[0] != '5')
		return false;
	for (int part = 0; part < 2; part++) {
		size_t digits;

		if (*p++ != '.')
			return false;
		digits = strspn(p, "0123456789");
		if (digits < 1 || digits > 3)
			return false;
		p += digits;
	}
	return *p == '\0';
}

/* Setters shared by the detector groups, for ld->detector. */

static struct rule *loader_rule(struct loader *ld)
{
	return &ld->cfg->rules[ld->detector];
}

static int set_enabled(struct loader *ld, const config_setting_t *s)
{
	return loader_get_bool(ld, s, &loader_rule(ld)->enabled);
}

static int set_sliding(struct loader *ld, const config_setting_t *s)
{
	return loader_get_bool(ld, s, &loader_rule(ld)->sliding);
}

static int set_max_events(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, MAX_EVENTS, &loader_rule(ld)->max);
}

static int set_period(struct loader *ld, const config_setting_t *s)
{
	return loader_get_duration(ld, s, &loader_rule(ld)->period);
}

static int set_block(struct loader *ld, const config_setting_t *s)
{
	return loader_get_duration(ld, s, &loader_rule(ld)->block);
}

static int set_sliding_max(struct loader *ld, const config_setting_t *s)
{
	return loader_get_duration(ld, s, &loader_rule(ld)->sliding_max);
}

/* The escalate group. */

static int set_escalate_factor(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 2, MAX_FACTOR,
	    &loader_rule(ld)->escalate_factor);
}

static int set_escalate_max(struct loader *ld, const config_setting_t *s)
{
	return loader_get_duration(ld, s, &loader_rule(ld)->escalate_max);
}

static int set_escalate_forget(struct loader *ld, const config_setting_t *s)
{
	return loader_get_duration(ld, s, &loader_rule(ld)->escalate_forget);
}

static const struct config_key config_escalate_keys[] = {
	{ "factor", set_escalate_factor },
	{ "max", set_escalate_max },
	{ "forget", set_escalate_forget },
	{ NULL, NULL }
};

/* The group turns escalation on; its keys change the defaults. */
static int set_escalate(struct loader *ld, const config_setting_t *s)
{
	struct rule *rule = loader_rule(ld);

	rule->escalate_factor = ESCALATE_FACTOR;
	rule->escalate_max = ESCALATE_MAX;
	rule->escalate_forget = ESCALATE_FORGET;
	return loader_walk_group(ld, s, config_escalate_keys);
}

static int set_action(struct loader *ld, const config_setting_t *s)
{
	int action;

	if (loader_get_enum(ld, s, config_detector_actions, &action) < 0)
		return -1;
	ld->cfg->actions[ld->detector] = (enum action)action;
	return 0;
}

/* A reply template checked and put in *field. */
static int set_reply_in(struct loader *ld, const config_setting_t *s,
    char **field)
{
	const char *text, *problem;

	if ((text = loader_get_string(ld, s)) == NULL)
		return -1;
	if ((problem = reply_problem(text)) != NULL)
		return loader_fail_key(ld, s, "%s", problem);
	loader_replace_string(field, text);
	return 0;
}

static int set_reply(struct loader *ld, const config_setting_t *s)
{
	return set_reply_in(ld, s, &ld->cfg->replies[ld->detector]);
}

/* Setters of the dha group. */

static int set_status_codes(struct loader *ld, const config_setting_t *s)
{
	struct config *cfg = ld->cfg;
	int n = loader_string_list_length(ld, s);
	char **codes;

	if (n < 0)
		return -1;
	codes = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*codes));
	for (int i = 0; i < n; i++) {
		if (!status_code_valid(loader_list_string(s, i))) {
			loader_free_strings(codes, (size_t)i);
			return loader_fail_key(ld, config_setting_get_elem(s,
			    (unsigned)i), "invalid status code \"%s\" "
			    "(expected class.subject.detail such as 5.1.1, "
			    "class 4 or 5)", loader_list_string(s, i));
		}
		codes[i] = xstrdup(loader_list_string(s, i));
	}
	loader_free_strings(cfg->dha_status_codes, cfg->dha_status_code_count);
	cfg->dha_status_codes = codes;
	cfg->dha_status_code_count = (size_t)n;
	return 0;
}

/* A fraction from 0 to 1, kept in parts per million. */
static int set_min_ratio(struct loader *ld, const config_setting_t *s)
{
	double v;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	else
		return loader_fail_key(ld, s, "expected a number from 0 to 1");
	if (!(v >= 0 && v <= 1))
		return loader_fail_key(ld, s, "%g is out of range (0..1)", v);
	loader_rule(ld)->min_ratio = (uint32_t)(v * RULE_RATIO_ONE + 0.5);
	return 0;
}

static int set_recipients_file(struct loader *ld, const config_setting_t *s)
{
	return loader_set_string(ld, s, &ld->cfg->dha_recipients_file);
}

/* Setters of the attack group. */

static int set_attack_enabled(struct loader *ld, const config_setting_t *s)
{
	return loader_get_bool(ld, s, &ld->cfg->attack_enabled);
}

static int set_max_commands(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, MAX_COMMANDS, &ld->cfg->attack_max_commands);
}

static int set_attack_count(struct loader *ld, const config_setting_t *s)
{
	int n = loader_string_list_length(ld, s), bit;
	unsigned count = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);

		if (loader_enum_lookup(config_attack_commands, loader_list_string(s, i),
		    &bit) < 0)
			return loader_fail_enum(ld, e, config_attack_commands,
			    loader_list_string(s, i));
		if (count & (unsigned)bit)
			return loader_fail_key(ld, e, "\"%s\" is listed twice",
			    loader_list_string(s, i));
		count |= (unsigned)bit;
	}
	ld->cfg->attack_count = count;
	return 0;
}

static int set_attack_action(struct loader *ld, const config_setting_t *s)
{
	int action;

	if (loader_get_enum(ld, s, config_attack_actions, &action) < 0)
		return -1;
	ld->cfg->attack_action = (enum action)action;
	return 0;
}

static int set_max_flagged(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 0, MAX_FLAGGED, &loader_rule(ld)->max);
}

/* Setters of the concurrency group. */

static int set_concurrency_enabled(struct loader *ld,
    const config_setting_t *s)
{
	return loader_get_bool(ld, s, &ld->cfg->concurrency_enabled);
}

static int set_max_sessions(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, MAX_SESSIONS,
	    &ld->cfg->concurrency_max_sessions);
}

static int set_concurrency_action(struct loader *ld,
    const config_setting_t *s)
{
	int action;

	if (loader_get_enum(ld, s, config_detector_actions, &action) < 0)
		return -1;
	ld->cfg->concurrency_action = (enum action)action;
	return 0;
}

static int set_concurrency_reply(struct loader *ld,
    const config_setting_t *s)
{
	return set_reply_in(ld, s, &ld->cfg->concurrency_reply);
}

/* Shorter than 3 s would leave no room for a refresh every third. */
static int set_concurrency_lease(struct loader *ld,
    const config_setting_t *s)
{
	unsigned lease;

	if (loader_get_duration(ld, s, &lease) < 0)
		return -1;
	if (lease < CONCURRENCY_LEASE_MIN)
		return loader_fail(ld, s, "concurrency.lease must be at least 3s");
	ld->cfg->concurrency_lease = lease;
	return 0;
}

static const struct config_key config_dos_keys[] = {
	{ "enabled", set_enabled },
	{ "max_connections", set_max_events },
	{ "period", set_period },
	{ "block", set_block },
	{ "sliding", set_sliding },
	{ "sliding_max", set_sliding_max },
	{ "escalate", set_escalate },
	{ "network", config_set_network },
	{ "action", set_action },
	{ "reply", set_reply },
	{ NULL, NULL }
};

static const struct config_key config_dha_keys[] = {
	{ "enabled", set_enabled },
	{ "max_invalid", set_max_events },
	{ "period", set_period },
	{ "block", set_block },
	{ "sliding", set_sliding },
	{ "sliding_max", set_sliding_max },
	{ "escalate", set_escalate },
	{ "network", config_set_network },
	{ "action", set_action },
	{ "reply", set_reply },
	{ "min_ratio", set_min_ratio },
	{ "status_codes", set_status_codes },
	{ "recipients_file", set_recipients_file },
	{ NULL, NULL }
};

static const struct config_key config_attack_keys[] = {
	{ "enabled", set_attack_enabled },
	{ "max_commands", set_max_commands },
	{ "count", set_attack_count },
	{ "action", set_attack_action },
	{ "max_flagged", set_max_flagged },
	{ "period", set_period },
	{ "block", set_block },
	{ "sliding", set_sliding },
	{ "sliding_max", set_sliding_max },
	{ "escalate", set_escalate },
	{ "network", config_set_network },
	{ "reply", set_reply },
	{ NULL, NULL }
};

static const struct config_key config_concurrency_keys[] = {
	{ "enabled", set_concurrency_enabled },
	{ "max_sessions", set_max_sessions },
	{ "action", set_concurrency_action },
	{ "reply", set_concurrency_reply },
	{ "lease", set_concurrency_lease },
	{ NULL, NULL }
};

int config_set_concurrency(struct loader *ld, const config_setting_t *s)
{
	return loader_walk_group(ld, s, config_concurrency_keys);
}

int config_set_dos(struct loader *ld, const config_setting_t *s)
{
	ld->detector = DETECTOR_DOS;
	return loader_walk_group(ld, s, config_dos_keys);
}

int config_set_dha(struct loader *ld, const config_setting_t *s)
{
	ld->detector = DETECTOR_DHA;
	return loader_walk_group(ld, s, config_dha_keys);
}

int config_set_attack(struct loader *ld, const config_setting_t *s)
{
	const config_setting_t *count;

	ld->detector = DETECTOR_ATTACK;
	if (loader_walk_group(ld, s, config_attack_keys) < 0)
		return -1;
	if (ld->cfg->attack_enabled && ld->cfg->attack_count == 0) {
		/* Only an empty count list empties the default set. */
		count = config_setting_get_member(s, "count");
		return loader_fail_key(ld, count, "must list at least one command "
		    "while attack.enabled is true");
	}
	loader_rule(ld)->enabled = ld->cfg->attack_enabled &&
	    loader_rule(ld)->max > 0;
	return 0;
}
