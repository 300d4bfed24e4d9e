/*
 * verdict.h - what the policy engine answers to an SMTP event (see
 * policy.h), and how a refusal is built.
 *
 * verdict_continue(): let the MTA go on.
 * verdict_set(): kind with the reply codes, text untouched.
 * verdict_refuse(): the refusal for action (tempfail: 421 4.7.0; reject:
 *   554 5.7.1 at CONNECT, 550 5.7.1 later) with the text of template
 *   and vars (reply.h); false, and a verdict to continue, when the action
 *   only logs.
 */
#ifndef BULWARK_VERDICT_H
#define BULWARK_VERDICT_H

#include <stdbool.h>

#include "detector.h"
#include "reply.h"

#define VERDICT_TEXT_MAX 512

enum verdict_kind {
	VERDICT_CONTINUE,
	VERDICT_TEMPFAIL,
	VERDICT_REJECT
};

struct verdict {
	enum verdict_kind kind;
	char rcode[4];			/* "421", "554", "550" */
	char xcode[8];			/* "4.7.0", "5.7.1", "5.1.1" */
	char text[VERDICT_TEXT_MAX];
};

void verdict_continue(struct verdict *verdict);
void verdict_set(struct verdict *verdict, enum verdict_kind kind,
    const char *rcode, const char *xcode);
bool verdict_refuse(struct verdict *verdict, enum action action,
    bool at_connect, const char *template, const struct reply_vars *vars);

#endif
