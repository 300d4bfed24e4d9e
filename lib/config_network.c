/*
 * config_network.c - the network group of the dos, dha and attack groups,
 * network = { ipv4_prefix = 24; ipv6_prefix = 48; max = 200; }: a second
 * rule of the group counting the same events over the client's network.
 * See bulwark.conf(5).
 *
 * config_set_network() reads the group into cfg->networks[ld->detector].
 * config_network_check(), once every key is read (the host prefixes may
 * come later in the file), refuses a network no wider than a host and
 * derives cfg->net_rules: the group's rule with network.max.
 *
 * The bounds 16 (IPv4) and 32 (IPv6): the Redis store keeps a host's
 * state and its networks' states in one Redis Cluster hash slot, tagged
 * with the /16 or /32 they lie in, so no network may be wider.
 */
#include <stdbool.h>
#include <stdio.h>

#include "config_loader.h"

#define NETWORK_MAX_EVENTS	10000000

static struct config_network *loader_network(struct loader *ld)
{
	return &ld->cfg->networks[ld->detector];
}

static int set_network_ipv4_prefix(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, CONFIG_NETWORK_IPV4_MIN, 31,
	    &loader_network(ld)->ipv4_prefix);
}

static int set_network_ipv6_prefix(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, CONFIG_NETWORK_IPV6_MIN, 127,
	    &loader_network(ld)->ipv6_prefix);
}

static int set_network_max(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, NETWORK_MAX_EVENTS,
	    &loader_network(ld)->max);
}

static const struct config_key config_network_keys[] = {
	{ "ipv4_prefix", set_network_ipv4_prefix },
	{ "ipv6_prefix", set_network_ipv6_prefix },
	{ "max", set_network_max },
	{ NULL, NULL }
};

int config_set_network(struct loader *ld, const config_setting_t *s)
{
	struct config_network *net = loader_network(ld);

	net->set = true;
	net->ipv4_prefix = 24;
	net->ipv6_prefix = 48;
	net->max = 0;
	if (loader_walk_group(ld, s, config_network_keys) < 0)
		return -1;
	if (net->max == 0)
		return loader_fail_key(ld, s, "max must be set: the events "
		    "allowed to the whole network in a period");
	return 0;
}

/* The setting to point an error at: the key when set, else the group. */
static const config_setting_t *network_setting(const config_t *lc,
    enum detector detector, const char *key)
{
	char path[64];
	const config_setting_t *s;

	snprintf(path, sizeof(path), "%s.network.%s", detector_name(detector),
	    key);
	if ((s = config_lookup(lc, path)) != NULL)
		return s;
	snprintf(path, sizeof(path), "%s.network", detector_name(detector));
	return config_lookup(lc, path);
}

/* 0 when the network's prefix (key) is shorter than the host's. */
static int network_wider(struct loader *ld, const config_t *lc,
    enum detector detector, const char *key, unsigned prefix,
    unsigned host_prefix)
{
	if (prefix < host_prefix)
		return 0;
	return loader_fail_key(ld, network_setting(lc, detector, key), "%u is "
	    "not shorter than %s (%u): a network must hold more than one host",
	    prefix, key, host_prefix);
}

int config_network_check(struct loader *ld, const config_t *lc)
{
	struct config *cfg = ld->cfg;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct config_network *net = &cfg->networks[d];

		cfg->net_rules[d] = (struct rule){ .enabled = false };
		if (!net->set)
			continue;
		if (network_wider(ld, lc, (enum detector)d, "ipv4_prefix",
		    net->ipv4_prefix, cfg->ipv4_prefix) < 0 ||
		    network_wider(ld, lc, (enum detector)d, "ipv6_prefix",
		    net->ipv6_prefix, cfg->ipv6_prefix) < 0)
			return -1;
		cfg->net_rules[d] = cfg->rules[d];
		cfg->net_rules[d].max = net->max;
	}
	return 0;
}
