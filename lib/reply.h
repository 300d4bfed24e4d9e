/*
 * reply.h - the SMTP reply text of a refusal, from a configured template.
 *
 * In a template "%a" stands for the client address, "%d" for the
 * detector that refused, "%u" for the end of the block (UTC, ISO 8601
 * as isotime.h writes it; "-" when the refusal has no end) and "%%" for a
 * percent sign; configuration loading rejects any other use of '%'.
 * reply_format_vars() writes the text ready for smfi_setreply(): every
 * percent sign, of the template or of a value, is written doubled, as
 * libmilter requires.  reply_format() has only the address (%d and %u
 * are written "-").  out is always NUL-terminated; text that does not
 * fit is cut, never mid-escape, so a cut text is the start of the whole.
 */
#ifndef BULWARK_REPLY_H
#define BULWARK_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct reply_vars {
	const char *addr;		/* %a */
	const char *detector;		/* %d, NULL: "-" */
	int64_t until;			/* %u, 0: "-" */
};

void reply_format(const char *template, const char *addr, char *out,
    size_t outlen);
void reply_format_vars(const char *template, const struct reply_vars *vars,
    char *out, size_t outlen);

#endif
