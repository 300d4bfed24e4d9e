/*
 * callbacks.h - the libmilter callbacks: SMTP events to the policy engine.
 *
 * callbacks_register() registers the filter with libmilter; every
 * connection then gets a policy session from policy.  policy must outlive
 * smfi_main().  Returns 0, or -1 when libmilter refused the registration.
 *
 * callbacks_drain() makes every later callback let its command through
 * without looking at the policy, then waits up to timeout_ms for the
 * callbacks in progress to return.  Returns 0 once none is left (the
 * policy and the store may be freed), or -1 when some still run.
 */
#ifndef BULWARK_CALLBACKS_H
#define BULWARK_CALLBACKS_H

#include "policy.h"

int callbacks_register(struct policy *policy);
int callbacks_drain(unsigned timeout_ms);

#endif
