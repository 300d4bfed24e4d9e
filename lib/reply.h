/*
 * reply.h - the SMTP reply text of a refusal, from a configured template.
 *
 * In a template "%a" stands for the client address and "%%" for a percent
 * sign; configuration loading rejects any other use of '%'.
 * reply_format() writes the text ready for smfi_setreply(): every percent
 * sign, of the template or of the address, is written doubled, as
 * libmilter requires.  out is always NUL-terminated; text that does not
 * fit is cut, never mid-escape, so a cut text is the start of the whole.
 */
#ifndef BULWARK_REPLY_H
#define BULWARK_REPLY_H

#include <stddef.h>

void reply_format(const char *template, const char *addr, char *out,
    size_t outlen);

#endif
