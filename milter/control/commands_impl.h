/*
 * commands_impl.h - what the command files share (private to
 * commands*.c): the context one request runs in and the helpers that
 * write common members.
 *
 * A command function adds its members to the answer object c->answer
 * (which already holds "ok" and "command") and returns 0, or returns -1
 * with a sentence in c->err; the answer is then thrown away and the
 * error answered instead.  Every text member goes through
 * control_json_text(), which makes any bytes valid UTF-8.
 */
#ifndef BULWARK_COMMANDS_IMPL_H
#define BULWARK_COMMANDS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "config.h"
#include "control_json.h"
#include "runtime.h"
#include "store.h"

#define COMMANDS_ARGS_MAX 3

struct command_ctx {
	struct runtime *rt;
	struct config *cfg;		/* in force, referenced for the request */
	json_t *answer;
	char *argv[COMMANDS_ARGS_MAX];
	int argc;
	int64_t now;
	uid_t peer;
	char err[512];
};

int commands_fail(struct command_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * commands_target.c: what a host argument names.  commands_target()
 * parses an address ("192.0.2.1", "[IPv6:2001:db8::1]"), a host key as
 * list prints it ("2001:db8::/64") or a CIDR prefix with no bit set past
 * its length; returns 0, or -1 with the reason in c->err.  one_host: the
 * prefix lies inside one host key (key, key_text).
 * commands_target_holds() tells whether a host key lies inside t (always
 * for a target with all set).  commands_target_hosts() is the number of
 * host keys inside t (1 for one host), 0 when above 2^30;
 * commands_target_key() the i-th of them.
 * commands_target_blocked() walks the store's blocks once and returns the
 * keys inside t with a block of detector only (-1: any) in force, in
 * *keys (malloc'd) and *count; -1 with c->err when the store failed.
 */
struct command_target {
	struct host_addr addr;		/* the address, or the network */
	unsigned prefix;		/* its length; the family's for an address */
	unsigned host_prefix;		/* ipv4_prefix or ipv6_prefix, clamped */
	bool is_prefix;			/* written with "/length" */
	bool one_host;			/* prefix >= host_prefix */
	bool all;			/* every host (unblock --all) */
	char text[ADDR_TEXT_MAX];	/* canonical: "192.0.2.0/24", "::1" */
	struct host_key key;		/* the host key of addr */
	char key_text[ADDR_TEXT_MAX];
};

int commands_target(struct command_ctx *c, const char *text,
    struct command_target *t);
bool commands_target_holds(const struct command_target *t,
    const struct host_key *key);
size_t commands_target_hosts(const struct command_target *t);
void commands_target_key(const struct command_target *t, size_t i,
    struct host_key *key);
int commands_target_blocked(struct command_ctx *c,
    const struct command_target *t, int only, struct host_key **keys,
    size_t *count);
/* Add the members of a new object (json_pack()) to the answer. */
void commands_members(struct command_ctx *c, json_t *members);
/*
 * commands_view.c: how list and show describe blocks.  commands_block():
 * one block of the host (or network): a new list entry.
 * commands_key_is_network(): the key is a network rule's, shorter than a
 * host's under cfg.  commands_manual_note(): true and the note of a block
 * by hand (d DETECTOR_MANUAL), false when none is known.
 * commands_known_node(): the node that started a block when known
 * without asking the store (its note, or this node for the memory
 * store), else NULL.
 */
json_t *commands_block(struct command_ctx *c, const struct host_key *key,
    const char *key_text, enum detector d, const struct rule_state *st);
bool commands_key_is_network(const struct config *cfg,
    const struct host_key *key);
bool commands_manual_note(struct command_ctx *c, const struct host_key *key,
    enum detector d, struct store_note *note);
const char *commands_known_node(const struct command_ctx *c,
    enum detector d, const struct store_note *note);

/* The store's backend, health and error: status's "store" member. */
json_t *commands_store_health(struct command_ctx *c);

int commands_list(struct command_ctx *c);
int commands_show(struct command_ctx *c);
int commands_exclude(struct command_ctx *c);

/* The restart keys of a reload ("a,b"), as a new JSON array. */
json_t *commands_restart_keys(const char *keys);
int commands_top(struct command_ctx *c);

#endif
