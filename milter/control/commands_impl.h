/*
 * commands_impl.h - what the command files share (private to
 * commands*.c): the context one request runs in and the helpers that
 * write common members.
 *
 * A command function adds its members to the answer object already
 * opened in c->w and returns 0, or returns -1 with a sentence in c->err;
 * whatever it wrote is then thrown away and the answer is the error.
 */
#ifndef BULWARK_COMMANDS_IMPL_H
#define BULWARK_COMMANDS_IMPL_H

#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "config.h"
#include "json.h"
#include "runtime.h"
#include "store.h"

#define COMMANDS_ARGS_MAX 3

struct command_ctx {
	struct runtime *rt;
	struct config *cfg;		/* in force, referenced for the request */
	struct json_writer *w;
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
/* A time member: null when when is 0. */
void commands_time(struct json_writer *w, const char *key, int64_t when);
/* "2025-11-22T10:00:00Z" */
void commands_format_time(int64_t when, char *buf, size_t len);
/* One block of the host: the members of a list entry. */
void commands_block(struct command_ctx *c, const struct host_key *key,
    const char *key_text, enum detector d, const struct rule_state *st);

int commands_list(struct command_ctx *c);
int commands_show(struct command_ctx *c);

#endif
