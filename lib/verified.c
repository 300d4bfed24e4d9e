/*
 * verified.c - forward-confirmed client names against a list of domains.
 * See verified.h.
 */
#include <string.h>
#include <strings.h>

#include "verified.h"

#define VERIFIED_NAME_MAX	253

const char *verified_name(const char *client_name, const char *client_resolve)
{
	if (client_name == NULL || client_name[0] == '\0' ||
	    client_name[0] == '[')
		return NULL;
	if (client_resolve != NULL)
		return strcmp(client_resolve, "OK") == 0 ? client_name : NULL;
	return strcmp(client_name, "unknown") == 0 ? NULL : client_name;
}

const char *verified_domain_valid(const char *text)
{
	size_t len = strlen(text);

	if (len == 0 || len > VERIFIED_NAME_MAX)
		return "a domain must be 1 to 253 characters long";
	if (strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-.") != len)
		return "a domain holds only letters, digits, '-' and '.'";
	if (text[0] == '.' || text[len - 1] == '.' || strstr(text, "..") != NULL)
		return "a domain has no leading, trailing or doubled '.'";
	return NULL;
}

/* name (len bytes) is domain or ends in "." domain. */
static bool verified_suffix(const char *name, size_t len, const char *domain)
{
	size_t dlen = strlen(domain);

	if (dlen > len || strncasecmp(name + len - dlen, domain, dlen) != 0)
		return false;
	return dlen == len || name[len - dlen - 1] == '.';
}

bool verified_match(char *const *domains, size_t count, const char *name)
{
	size_t len;

	if (name == NULL)
		return false;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > VERIFIED_NAME_MAX)
		return false;
	for (size_t i = 0; i < count; i++) {
		if (verified_suffix(name, len, domains[i]))
			return true;
	}
	return false;
}
