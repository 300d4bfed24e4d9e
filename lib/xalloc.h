/*
 * xalloc.h - allocation that aborts with a message instead of returning
 * NULL, so callers need no out-of-memory paths.
 */
#ifndef BULWARK_XALLOC_H
#define BULWARK_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);

#endif
