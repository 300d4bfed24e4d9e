/*
 * config.h - bulwark.conf, parsed with libconfig into a validated struct.
 *
 * config_load() reads and checks the whole file, including the files it
 * names (exclude_file, blocked_file, dha.recipients_file).  It returns a
 * configuration with one reference, or NULL with "file:line: what is
 * wrong" in err.  Unknown keys, wrong types, bad addresses or prefixes and
 * out-of-range values are all errors.  Every key is optional; a missing
 * one takes the default documented in bulwark.conf(5), but a file of
 * nothing but blanks (a truncated one) is an error: "path: empty file".
 * config_defaults() returns the defaults alone (never NULL).
 *
 * A configuration is immutable once loaded and reference counted, so a
 * reload can swap it while connections still use the old one:
 * config_ref() takes a reference, config_unref() drops one and frees the
 * configuration with the last (NULL is accepted).
 */
#ifndef BULWARK_CONFIG_H
#define BULWARK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "detector.h"
#include "rule.h"

#define CONFIG_DEFAULT_PATH "/etc/bulwark/bulwark.conf"
#define CONFIG_ERROR_MAX 512
#define CONFIG_NODE_MAX 63		/* bytes of node */

struct hostlist;
struct recipients;

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Bits of attack.count: which unexpected commands are counted. */
#define ATTACK_COUNT_HELO	0x1u
#define ATTACK_COUNT_UNKNOWN	0x2u
#define ATTACK_COUNT_RSET	0x4u

/* What a node does with an event while Redis cannot be reached. */
enum redis_on_error {
	REDIS_ON_ERROR_LOCAL,		/* decide with the node's own memory store */
	REDIS_ON_ERROR_ACCEPT,		/* let everything through */
	REDIS_ON_ERROR_TEMPFAIL		/* refuse with 421 */
};

struct redis_config {
	char *server;			/* "host:port" or "unix:/path" */
	char **sentinels;		/* "host:port", ... */
	size_t sentinel_count;
	char *master_name;		/* used with sentinels */
	char **cluster;			/* seed nodes "host:port", ... */
	size_t cluster_count;		/* > 0: a Redis Cluster */
	char *username;			/* "" when unset */
	char *password;			/* "" when unset; from password_file if set */
	char *password_file;		/* "" when unset */
	unsigned database;
	char *key_prefix;
	unsigned timeout_ms;		/* connect and command timeout */
	unsigned pool_size;		/* connections shared by worker threads */
	enum redis_on_error on_error;
	/*
	 * Tests only, never set from a file: the Redis script runs on the
	 * times the node passes instead of Redis's clock.
	 */
	bool node_clock;
};

/*
 * The firewall group (config_firewall.c): which blocks go to which
 * nftables sets.  detectors[d] for the detectors, blocked_list for the
 * static blocked list.  Names are [A-Za-z][A-Za-z0-9_]*.
 */
struct firewall_config {
	bool enabled;
	char *table;
	char *family;			/* "inet", "ip", "ip6", "bridge", "netdev" */
	char *set4;			/* of type ipv4_addr */
	char *set6;			/* of type ipv6_addr */
	bool detectors[DETECTOR_COUNT];
	bool blocked_list;		/* "blocked" in firewall.detectors */
	unsigned max_elements;
};

struct config_network {
	bool set;			/* the group has a network group */
	unsigned ipv4_prefix;		/* CONFIG_NETWORK_IPV4_MIN..31 */
	unsigned ipv6_prefix;		/* CONFIG_NETWORK_IPV6_MIN..127 */
	unsigned max;			/* events per period, > 0 */
};

struct config {
	char *path;			/* file it was read from, or "(defaults)" */
	char *node;			/* this node's name; "" the host name */

	char *socket;			/* "unix:/path", "inet:port@host", ... */
	unsigned socket_mode;		/* e.g. 0660 */
	char *pidfile;			/* "" for none */
	char *user;			/* run as this user; "" keeps the starting one */
	char *group;			/* "" with a user: that user's primary group */
	char *control;			/* "unix:/path" for bulwarkctl, "" off */
	unsigned control_mode;		/* e.g. 0600 */
	int syslog_facility;		/* LOG_MAIL, ... from <syslog.h> */
	enum log_level log_level;
	char *log_file;			/* "" syslog, "stderr", or a path */
	bool monitor_only;
	char *metrics_listen;		/* "ADDRESS:PORT", "[ADDRESS]:PORT", "" off */
	unsigned mta_warn_after;	/* seconds without an MTA; 0: never warn */

	char *store;			/* backend name: "memory" or "redis" */
	unsigned memory_max_hosts;
	char *state_file;		/* memory store kept across restarts; "" none */
	struct redis_config redis;

	unsigned ipv4_prefix;		/* 1..32 */
	unsigned ipv6_prefix;		/* 1..128 */

	struct hostlist *exclude;	/* exclude plus exclude_file */
	char *exclude_file;		/* "" when unset */
	bool exclude_authenticated;
	char **exclude_verified_domains; /* forward-confirmed names, lower case */
	size_t exclude_verified_domain_count;
	struct hostlist *blocked;	/* blocked plus blocked_file */
	char *blocked_file;
	enum action blocked_action;	/* ACTION_REJECT or ACTION_TEMPFAIL */

	/*
	 * Per detector: the rule, the action when it refuses and the reply
	 * template (%a: client address, %%: a percent sign).  For
	 * DETECTOR_ATTACK the rule counts flagged connections (max =
	 * max_flagged; enabled only when attack.enabled and max_flagged > 0)
	 * and its action, for a host it blocked, is always tempfail;
	 * attack_action below is what happens to the flagged connection.
	 * DETECTOR_MANUAL is enabled, never slides, action tempfail.
	 */
	struct rule rules[DETECTOR_COUNT];
	enum action actions[DETECTOR_COUNT];
	char *replies[DETECTOR_COUNT];
	/*
	 * Per detector group, its network group (config_network.c) and the
	 * rule it makes: the group's rule with network.max, counted over the
	 * client's network; enabled when the group's is and the group has a
	 * network group.
	 */
	struct config_network networks[DETECTOR_COUNT];
	struct rule net_rules[DETECTOR_COUNT];

	char **dha_status_codes;	/* "5.1.1", ... */
	size_t dha_status_code_count;
	char *dha_recipients_file;	/* "" when unset */
	struct recipients *dha_recipients; /* NULL when unset */

	bool attack_enabled;
	unsigned attack_max_commands;
	unsigned attack_count;		/* ATTACK_COUNT_* bits */
	enum action attack_action;	/* ACTION_LOG or ACTION_TEMPFAIL */

	/*
	 * The concurrency limit: more than max_sessions simultaneous
	 * sessions of one host are refused at CONNECT (not a rule: no
	 * window, no block).
	 */
	bool concurrency_enabled;
	unsigned concurrency_max_sessions;
	enum action concurrency_action;
	char *concurrency_reply;
	unsigned concurrency_lease;	/* seconds a node's shared counts outlive it */
	struct firewall_config firewall;

	int refs;
};

/*
 * A detector group's network group: ipv4_prefix / ipv6_prefix bits of the
 * client's address name its network, which may have max events in the
 * group's period.  Networks are never wider than CONFIG_NETWORK_IPV4_MIN
 * / CONFIG_NETWORK_IPV6_MIN bits (a host and its networks share one Redis
 * Cluster slot) and always wider than a host (ipv4_prefix, ipv6_prefix).
 */
#define CONFIG_NETWORK_IPV4_MIN	16
#define CONFIG_NETWORK_IPV6_MIN	32

struct config *config_load(const char *path, char *err, size_t errlen);

/*
 * config_load_edited(): config_load() with edit() run on the parsed
 * libconfig tree before it is checked (bulwark-replay overrides keys this
 * way).  path NULL starts from an empty file named "(defaults)".  edit
 * returns 0, or -1 with err filled; the settings it adds have line 0.
 */
struct config_t;
typedef int (*config_edit_fn)(struct config_t *tree, void *arg, char *err,
    size_t errlen);
struct config *config_load_edited(const char *path, config_edit_fn edit,
    void *arg, char *err, size_t errlen);
struct config *config_defaults(void);
struct config *config_ref(struct config *cfg);
void config_unref(struct config *cfg);

/*
 * Keys that take effect only when the daemon starts (socket, socket_mode,
 * pidfile, user, group, control, control_mode, metrics_listen, log_file,
 * node, store, memory, state_file, redis, and firewall's enabled, table,
 * family, set4 and set6): config_keep_start_keys() copies their values from
 * running into next, a configuration just loaded and not yet shared, and
 * writes the names of those that differed, comma-separated, to changed
 * ("" when none; cut short to fit).  Returns how many differed.
 */
size_t config_keep_start_keys(struct config *next,
    const struct config *running, char *changed, size_t changedlen);

/* True when status (e.g. "5.1.1") is one of dha.status_codes. */
bool config_dha_status_counts(const struct config *cfg, const char *status);

#endif
