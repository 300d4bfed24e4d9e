/*
 * verified.h - big senders known by their forward-confirmed name: the
 * exclusion of exclude_verified_domains (bulwark.conf(5)).
 *
 * A client's name counts only when the MTA verified it: its PTR name
 * resolves back to the client's address.  An unverified PTR name is the
 * client's own say and never matches.
 *
 * verified_name(): the verified name from the connect macros, or NULL.
 *   client_resolve is Sendmail's {client_resolve}: when present (Sendmail)
 *   the name counts only with "OK".  When absent (Postfix) client_name,
 *   Postfix's {client_name}, is verified unless it is "unknown" (what
 *   Postfix sets when the name is not forward-confirmed); a bracketed
 *   address ("[192.0.2.1]") is no name either.  NULL or "" client_name:
 *   NULL.
 * verified_domain_valid(): NULL when text is a domain the list may hold
 *   (1 to 253 bytes of letters, digits, '-' and '.', no leading, trailing
 *   or doubled dot), else what is wrong.
 * verified_match(): true when name is one of the domains or a subdomain
 *   of one ("mx1.google.com" matches "google.com", "evilgoogle.com" does
 *   not), ignoring case and a trailing dot of name.  name NULL: false.
 */
#ifndef BULWARK_VERIFIED_H
#define BULWARK_VERIFIED_H

#include <stdbool.h>
#include <stddef.h>

const char *verified_name(const char *client_name, const char *client_resolve);
const char *verified_domain_valid(const char *text);
bool verified_match(char *const *domains, size_t count, const char *name);

#endif
