/*
 * callbacks.h - the libmilter callbacks: SMTP events to the policy engine.
 *
 * callbacks_register() registers the filter with libmilter; every
 * connection then gets a policy session from policy.  policy must outlive
 * smfi_main().  Returns 0, or -1 when libmilter refused the registration.
 */
#ifndef BULWARK_CALLBACKS_H
#define BULWARK_CALLBACKS_H

#include "policy.h"

int callbacks_register(struct policy *policy);

#endif
