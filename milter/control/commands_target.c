/*
 * commands_target.c - the hosts a command argument names: an address,
 * a host key as list prints it, or a CIDR prefix.  See commands_impl.h.
 *
 * A prefix at least as long as the running host prefix (ipv4_prefix,
 * ipv6_prefix) lies inside one host key, so it names that host, as an
 * address does.  A shorter one holds 2^(host prefix - length) host keys:
 * the blocks inside it are found with one walk of the store's blocks,
 * and a block by hand enumerates its keys when there are at most
 * COMMANDS_PREFIX_HOSTS_MAX of them.
 */
#include <stdlib.h>
#include <string.h>

#include "commands_impl.h"
#include "xalloc.h"

static unsigned target_bits(uint8_t family)
{
	return family == 4 ? 32 : 128;
}

/* The digits after '/': 0 and the length, or -1. */
static int target_length(const char *text, unsigned *len)
{
	size_t n;

	*len = 0;
	for (n = 0; text[n] >= '0' && text[n] <= '9'; n++) {
		if (n == 3)
			return -1;
		*len = *len * 10 + (unsigned)(text[n] - '0');
	}
	return n == 0 || text[n] != '\0' ? -1 : 0;
}

/* Split "address/length" into t->addr and t->prefix. */
static int target_split(struct command_ctx *c, const char *text,
    struct command_target *t)
{
	char addr[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t len = slash != NULL ? (size_t)(slash - text) : strlen(text);

	if (len >= sizeof(addr))
		return commands_fail(c, "\"%.64s\" is not an IPv4 or IPv6 "
		    "address or prefix", text);
	memcpy(addr, text, len);
	addr[len] = '\0';
	if (addr_parse(addr, &t->addr) < 0)
		return commands_fail(c, "\"%.64s\" is not an IPv4 or IPv6 "
		    "address%s", text, slash != NULL ? " or prefix" : "");
	t->prefix = target_bits(t->addr.family);
	t->is_prefix = slash != NULL;
	if (slash != NULL && (target_length(slash + 1, &t->prefix) < 0 ||
	    t->prefix > target_bits(t->addr.family)))
		return commands_fail(c, "\"%.64s\": the prefix length must be "
		    "0 to %u", text, target_bits(t->addr.family));
	return 0;
}

int commands_target(struct command_ctx *c, const char *text,
    struct command_target *t)
{
	struct host_key net;
	unsigned host_prefix;

	memset(t, 0, sizeof(*t));
	if (target_split(c, text, t) < 0)
		return -1;
	addr_key(&t->addr, t->prefix, t->prefix, &net);
	if (memcmp(net.bytes, t->addr.bytes, sizeof(net.bytes)) != 0) {
		host_key_format(&net, t->text, sizeof(t->text));
		return commands_fail(c, "\"%.64s\" has bits set past its "
		    "prefix length (the prefix is %s)", text, t->text);
	}
	host_key_format(&net, t->text, sizeof(t->text));
	host_prefix = t->addr.family == 4 ? c->cfg->ipv4_prefix :
	    c->cfg->ipv6_prefix;
	if (host_prefix > target_bits(t->addr.family))
		host_prefix = target_bits(t->addr.family);
	t->one_host = t->prefix >= host_prefix;
	t->host_prefix = host_prefix;
	addr_key(&t->addr, c->cfg->ipv4_prefix, c->cfg->ipv6_prefix, &t->key);
	host_key_format(&t->key, t->key_text, sizeof(t->key_text));
	return 0;
}

bool commands_target_holds(const struct command_target *t,
    const struct host_key *key)
{
	struct host_addr addr = { .family = key->family };

	if (t->all)
		return true;
	if (key->family != t->addr.family || key->prefix < t->prefix)
		return false;
	memcpy(addr.bytes, key->bytes, sizeof(addr.bytes));
	return addr_in_prefix(&addr, &t->addr, t->prefix);
}

/* 2^(host prefix - prefix), or 0 when that is above the limit. */
size_t commands_target_hosts(const struct command_target *t)
{
	unsigned spread = t->one_host ? 0 : t->host_prefix - t->prefix;

	return spread > 30 ? 0 : (size_t)1 << spread;
}

void commands_target_key(const struct command_target *t, size_t i,
    struct host_key *key)
{
	struct host_addr addr = t->addr;

	if (t->one_host) {
		*key = t->key;
		return;
	}
	/* i fills the bits between the prefix and the host prefix. */
	for (unsigned b = 0; b < t->host_prefix - t->prefix; b++) {
		unsigned bit = t->host_prefix - 1 - b;

		if (i & ((size_t)1 << b))
			addr.bytes[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	}
	addr_key(&addr, t->host_prefix, t->host_prefix, key);
}

/* The walk of commands_target_blocked(). */
struct target_walk {
	const struct command_target *target;
	int only;
	int64_t now;
	struct host_key *keys;
	size_t count;
	size_t size;
};

static int target_collect(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct target_walk *w = arg;

	if (!commands_target_holds(w->target, key) || (w->only >= 0 &&
	    !rule_blocked(&host->state[w->only], w->now)))
		return 0;
	if (w->count == w->size) {
		w->size = w->size ? w->size * 2 : 64;
		w->keys = xrealloc(w->keys, w->size, sizeof(*w->keys));
	}
	w->keys[w->count++] = *key;
	return 0;
}

/* Family, then address bytes, then prefix: a stable order to show. */
static int target_order(const void *pa, const void *pb)
{
	const struct host_key *a = pa, *b = pb;
	int cmp;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((cmp = memcmp(a->bytes, b->bytes, sizeof(a->bytes))) != 0)
		return cmp;
	return a->prefix < b->prefix ? -1 : a->prefix > b->prefix;
}

int commands_target_blocked(struct command_ctx *c,
    const struct command_target *t, int only, struct host_key **keys,
    size_t *count)
{
	struct target_walk w = { .target = t, .only = only, .now = c->now };

	if (store_list_blocks(c->rt->store, c->now, target_collect, &w) < 0) {
		free(w.keys);
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	}
	/* qsort() must not be given the NULL of an empty walk. */
	if (w.count > 0)
		qsort(w.keys, w.count, sizeof(*w.keys), target_order);
	*keys = w.keys;
	*count = w.count;
	return 0;
}
