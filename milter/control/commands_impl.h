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
/* Parse an ADDRESS argument and reduce it to its host key. */
int commands_host(struct command_ctx *c, const char *text,
    struct host_addr *addr, struct host_key *key, char *key_text);
/* Add the members of a new object (json_pack()) to the answer. */
void commands_members(struct command_ctx *c, json_t *members);
/* One block of the host: a new list entry. */
json_t *commands_block(struct command_ctx *c, const struct host_key *key,
    const char *key_text, enum detector d, const struct rule_state *st);

/* The store's backend, health and error: status's "store" member. */
json_t *commands_store_health(struct command_ctx *c);

int commands_list(struct command_ctx *c);
int commands_show(struct command_ctx *c);
int commands_top(struct command_ctx *c);

#endif
