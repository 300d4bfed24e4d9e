/*
 * linefile.h - the entries of a text file that holds one entry per line
 * (host lists, recipient lists).
 *
 * linefile_open() opens path for reading; a line may hold at most max
 * bytes before its newline.  path must stay valid until linefile_close().
 * On error it returns NULL with "path: reason" in err.
 *
 * linefile_next() moves to the next line that holds an entry and points
 * *entry at it: the line without its newline (and a CR before it), cut
 * at the first '#', blanks (space, tab) trimmed at both ends.  Blank and
 * comment-only lines are skipped.  The entry is never empty, may be
 * modified in place, and stays valid until the next call.
 * Returns 1 with an entry, 0 at the end of the file, or -1 with
 * "path:line: reason" in err for a line longer than max or one holding a
 * control character (a byte below 0x20 other than tab, or 0x7f); the
 * reason names such a byte in hex and never echoes it.  A read error
 * gives "path: reason".
 *
 * linefile_error() writes "path:line: reason" for the current line to err
 * and returns -1, for an entry the caller refuses; reason must not hold
 * raw client or file bytes (escape them first, see escape.h).
 */
#ifndef BULWARK_LINEFILE_H
#define BULWARK_LINEFILE_H

#include <stddef.h>

struct linefile;

struct linefile *linefile_open(const char *path, size_t max, char *err,
    size_t errlen);
int linefile_next(struct linefile *lf, char **entry, char *err,
    size_t errlen);
int linefile_error(const struct linefile *lf, const char *reason, char *err,
    size_t errlen);
void linefile_close(struct linefile *lf);

#endif
