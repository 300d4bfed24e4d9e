/*
 * verdict.c - verdicts and refusals.  See verdict.h.
 */
#include <stdio.h>
#include <string.h>

#include "verdict.h"

void verdict_continue(struct verdict *verdict)
{
	memset(verdict, 0, sizeof(*verdict));
	verdict->kind = VERDICT_CONTINUE;
}

void verdict_set(struct verdict *verdict, enum verdict_kind kind,
    const char *rcode, const char *xcode)
{
	verdict->kind = kind;
	snprintf(verdict->rcode, sizeof(verdict->rcode), "%s", rcode);
	snprintf(verdict->xcode, sizeof(verdict->xcode), "%s", xcode);
}

bool verdict_refuse(struct verdict *verdict, enum action action,
    bool at_connect, const char *template, const struct reply_vars *vars)
{
	verdict_continue(verdict);
	switch (action) {
	case ACTION_LOG:
		return false;
	case ACTION_TEMPFAIL:
		verdict_set(verdict, VERDICT_TEMPFAIL, "421", "4.7.0");
		break;
	case ACTION_REJECT:
		verdict_set(verdict, VERDICT_REJECT, at_connect ? "554" : "550",
		    "5.7.1");
		break;
	}
	reply_format_vars(template, vars, verdict->text, sizeof(verdict->text));
	return true;
}
