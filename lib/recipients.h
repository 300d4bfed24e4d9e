/*
 * recipients.h - the valid recipients of dha.recipients_file.
 *
 * The file holds one entry per line: "user@example.org" for one mailbox
 * or "@example.org" for every mailbox of a domain; blank lines and text
 * from '#' on are ignored.  Matching ignores case.
 *
 * recipients_load() returns the set, or NULL with "path:line: what" in err
 * (an entry with no '@', an empty domain, spaces or control characters
 * inside an entry, a line longer than RECIPIENT_MAX).
 * recipients_valid() takes an envelope address as the MTA passes it
 * ("<user@example.org>" or bare) and returns true only for a well-formed
 * address that is listed; malformed or empty addresses are never valid.
 * The bare "postmaster" ("<Postmaster>", any case, no domain) is always
 * valid, as RFC 5321 requires every server to accept it; with a domain,
 * postmaster must be listed like any other mailbox.
 * Lookups are O(1) on average.
 */
#ifndef BULWARK_RECIPIENTS_H
#define BULWARK_RECIPIENTS_H

#include <stdbool.h>
#include <stddef.h>

#define RECIPIENT_MAX 320

struct recipients;

struct recipients *recipients_load(const char *path, char *err, size_t errlen);
bool recipients_valid(const struct recipients *set, const char *address);
size_t recipients_count(const struct recipients *set);
void recipients_free(struct recipients *set);

#endif
