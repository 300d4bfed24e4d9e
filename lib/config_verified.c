/*
 * config_verified.c - exclude_verified_domains of bulwark.conf: the
 * domains whose forward-confirmed hosts are never counted (verified.h).
 * Domains are kept in lower case.
 */
#include <ctype.h>

#include "config_loader.h"
#include "verified.h"
#include "xalloc.h"

int config_set_verified_domains(struct loader *ld, const config_setting_t *s)
{
	struct config *cfg = ld->cfg;
	int n = loader_string_list_length(ld, s);
	char **domains;

	if (n < 0)
		return -1;
	domains = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*domains));
	for (int i = 0; i < n; i++) {
		const char *text = loader_list_string(s, i);
		const char *problem = verified_domain_valid(text);

		if (problem != NULL) {
			loader_free_strings(domains, (size_t)i);
			return loader_fail_key(ld, config_setting_get_elem(s,
			    (unsigned)i), "\"%s\": %s", text, problem);
		}
		domains[i] = xstrdup(text);
		for (char *p = domains[i]; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	loader_free_strings(cfg->exclude_verified_domains,
	    cfg->exclude_verified_domain_count);
	cfg->exclude_verified_domains = domains;
	cfg->exclude_verified_domain_count = (size_t)n;
	return 0;
}
