/*
 * xalloc.c - see xalloc.h.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static void *xalloc_check(void *ptr, size_t size)
{
	if (ptr == NULL && size != 0) {
		log_error("event=fatal reason=out-of-memory size=%zu", size);
		abort();
	}
	return ptr;
}

void *xmalloc(size_t size)
{
	return xalloc_check(malloc(size), size);
}

void *xcalloc(size_t n, size_t size)
{
	return xalloc_check(calloc(n, size), n * size);
}

void *xrealloc(void *ptr, size_t n, size_t size)
{
	if (size != 0 && n > (size_t)-1 / size) {
		log_error("event=fatal reason=allocation-overflow");
		abort();
	}
	return xalloc_check(realloc(ptr, n * size), n * size);
}

char *xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}
