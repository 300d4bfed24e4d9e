/*
 * firewall_nft.c - see firewall_nft.h.
 *
 * libnftables takes the same language as nft(8), from a buffer, without a
 * shell or a process; its errors and listings are kept in buffers of the
 * context.  The check reads the sets back as JSON (jansson) rather than
 * parsing nft's text.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall_nft.h"
#include "xalloc.h"

struct firewall_nft {
	struct nft_ctx *ctx;
	char *family;
	char *table;
	char *set4;
	char *set6;
};

struct firewall_nft *firewall_nft_open(const struct firewall_config *fw,
    char *err, size_t errlen)
{
	struct firewall_nft *nft;
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (ctx == NULL) {
		snprintf(err, errlen, "libnftables: cannot make a context");
		return NULL;
	}
	if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		snprintf(err, errlen, "libnftables: cannot buffer its output");
		return NULL;
	}
	nft = xcalloc(1, sizeof(*nft));
	nft->ctx = ctx;
	nft->family = xstrdup(fw->family);
	nft->table = xstrdup(fw->table);
	nft->set4 = xstrdup(fw->set4);
	nft->set6 = xstrdup(fw->set6);
	return nft;
}

void firewall_nft_close(struct firewall_nft *nft)
{
	if (nft == NULL)
		return;
	nft_ctx_free(nft->ctx);
	free(nft->family);
	free(nft->table);
	free(nft->set4);
	free(nft->set6);
	free(nft);
}

/* nft's first line of error, without "Error: ". */
static void nft_first_error(struct firewall_nft *nft, char *err,
    size_t errlen)
{
	const char *text = nft_ctx_get_error_buffer(nft->ctx);
	size_t len;

	if (text == NULL || *text == '\0')
		text = "failed without a message";
	if (strncmp(text, "Error: ", 7) == 0)
		text += 7;
	len = strcspn(text, "\n");
	snprintf(err, errlen, "%.*s", (int)len, text);
}

int firewall_nft_run(struct firewall_nft *nft, const char *text, char *err,
    size_t errlen)
{
	int rc = nft_run_cmd_from_buffer(nft->ctx, text);

	if (rc != 0)
		nft_first_error(nft, err, errlen);
	/* Reading the buffers empties them for the next command. */
	(void)nft_ctx_get_output_buffer(nft->ctx);
	(void)nft_ctx_get_error_buffer(nft->ctx);
	return rc == 0 ? 0 : -1;
}

static int nft_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int nft_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool nft_has_flag(json_t *flags, const char *flag)
{
	size_t i;
	json_t *f;

	json_array_foreach(flags, i, f) {
		if (json_is_string(f) && strcmp(json_string_value(f), flag) == 0)
			return true;
	}
	return false;
}

/* The "set" object of a JSON listing, or NULL. */
static json_t *nft_listed_set(json_t *root)
{
	json_t *items = json_object_get(root, "nftables"), *item;
	size_t i;

	json_array_foreach(items, i, item) {
		if (json_is_object(json_object_get(item, "set")))
			return json_object_get(item, "set");
	}
	return NULL;
}

static int nft_check_listing(const struct firewall_nft *nft, const char *name,
    const char *type, const char *listing, char *err, size_t errlen)
{
	json_t *root = json_loads(listing, 0, NULL), *set;
	const char *got;
	int rc = 0;

	set = root != NULL ? nft_listed_set(root) : NULL;
	got = set != NULL ? json_string_value(json_object_get(set, "type")) : NULL;
	if (got == NULL)
		rc = nft_fail(err, errlen, "set %s %s %s: cannot read its "
		    "listing", nft->family, nft->table, name);
	else if (strcmp(got, type) != 0)
		rc = nft_fail(err, errlen, "set %s %s %s is of type %.32s: "
		    "expected %s", nft->family, nft->table, name, got, type);
	else if (!nft_has_flag(json_object_get(set, "flags"), "interval") ||
	    !nft_has_flag(json_object_get(set, "flags"), "timeout"))
		rc = nft_fail(err, errlen, "set %s %s %s lacks \"flags "
		    "interval, timeout\"", nft->family, nft->table, name);
	json_decref(root);
	return rc;
}

static int nft_check_set(struct firewall_nft *nft, const char *name,
    const char *type, char *err, size_t errlen)
{
	char cmd[256], why[256];
	int rc;

	snprintf(cmd, sizeof(cmd), "list set %s %s %s", nft->family,
	    nft->table, name);
	if (nft_run_cmd_from_buffer(nft->ctx, cmd) != 0) {
		nft_first_error(nft, why, sizeof(why));
		(void)nft_ctx_get_output_buffer(nft->ctx);
		return nft_fail(err, errlen, "set %s %s %s: %s", nft->family,
		    nft->table, name, why);
	}
	rc = nft_check_listing(nft, name, type,
	    nft_ctx_get_output_buffer(nft->ctx), err, errlen);
	(void)nft_ctx_get_error_buffer(nft->ctx);
	return rc;
}

int firewall_nft_check(struct firewall_nft *nft, char *err, size_t errlen)
{
	char cmd[256], why[256];
	unsigned flags = nft_ctx_output_get_flags(nft->ctx);
	int rc = -1;

	snprintf(cmd, sizeof(cmd), "list table %s %s", nft->family, nft->table);
	if (firewall_nft_run(nft, cmd, why, sizeof(why)) < 0)
		return nft_fail(err, errlen, "nftables table %s %s cannot be "
		    "read: %s (load it first, such as "
		    "contrib/nftables/bulwark.nft)",
		    nft->family, nft->table, why);
	nft_ctx_output_set_flags(nft->ctx, flags | NFT_CTX_OUTPUT_JSON);
	if (nft_check_set(nft, nft->set4, "ipv4_addr", err, errlen) == 0 &&
	    nft_check_set(nft, nft->set6, "ipv6_addr", err, errlen) == 0)
		rc = 0;
	nft_ctx_output_set_flags(nft->ctx, flags);
	return rc;
}

/* Command text. */

void firewall_cmd_init(struct firewall_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->size = 256;
	c->text = xcalloc(c->size, 1);
}

void firewall_cmd_free(struct firewall_cmd *c)
{
	free(c->text);
	memset(c, 0, sizeof(*c));
}

static void cmd_add(struct firewall_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void cmd_add(struct firewall_cmd *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(c->text + c->len, c->size - c->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < c->size - c->len)
			break;
		c->size *= 2;
		c->text = xrealloc(c->text, c->size, 1);
	}
	c->len += (size_t)n;
}

void firewall_cmd_flush(struct firewall_cmd *c, const struct firewall_nft *nft)
{
	cmd_add(c, "flush set %s %s %s\nflush set %s %s %s\n", nft->family,
	    nft->table, nft->set4, nft->family, nft->table, nft->set6);
}

void firewall_cmd_elements(struct firewall_cmd *c,
    const struct firewall_nft *nft, const char *op, uint8_t family)
{
	cmd_add(c, "%s element %s %s %s { ", op, nft->family, nft->table,
	    family == 4 ? nft->set4 : nft->set6);
	c->in_list = 0;
}

void firewall_cmd_element(struct firewall_cmd *c, const struct host_key *key,
    int64_t timeout)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(key->family == 4 ? AF_INET : AF_INET6, key->bytes, text,
	    sizeof(text));
	cmd_add(c, "%s%s/%u", c->in_list++ > 0 ? ", " : "", text,
	    (unsigned)key->prefix);
	if (timeout > 0)
		cmd_add(c, " timeout %llds", (long long)timeout);
}

void firewall_cmd_end(struct firewall_cmd *c)
{
	cmd_add(c, " }\n");
}
