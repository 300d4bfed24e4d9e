/*
 * firewall_nft.h - the firewall's sets through libnftables.
 *
 * Command text is built here only from fixed words, the table, family and
 * set names of the configuration (checked to be [A-Za-z][A-Za-z0-9_]* at
 * load) and addresses formatted with inet_ntop() from binary host keys:
 * nothing a client sends reaches it.
 *
 * firewall_nft_open() makes a libnftables context for the sets of fw
 * (NULL with the reason in err).  firewall_nft_check() checks that the
 * table exists and that set4 and set6 are sets of type ipv4_addr and
 * ipv6_addr with flags interval and timeout; on failure it returns -1
 * with a sentence in err.  firewall_nft_run() runs a command text (one
 * transaction: all or nothing) and returns 0, or -1 with nft's first
 * line of error in err.
 *
 * A firewall_cmd is command text being built: firewall_cmd_elements()
 * opens "OP element FAMILY TABLE SET { " for key's family,
 * firewall_cmd_element() adds one element (with "timeout Ns" when
 * timeout > 0) and firewall_cmd_end() closes the braces; firewall_cmd_flush()
 * adds the flushing of both sets.  Allocation failure aborts.  A context
 * is used by one thread at a time.
 */
#ifndef BULWARK_FIREWALL_NFT_H
#define BULWARK_FIREWALL_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"

struct firewall_nft;

struct firewall_cmd {
	char *text;
	size_t len;
	size_t size;
	unsigned in_list;		/* elements since firewall_cmd_elements() */
};

struct firewall_nft *firewall_nft_open(const struct firewall_config *fw,
    char *err, size_t errlen);
void firewall_nft_close(struct firewall_nft *nft);
int firewall_nft_check(struct firewall_nft *nft, char *err, size_t errlen);
int firewall_nft_run(struct firewall_nft *nft, const char *text, char *err,
    size_t errlen);

void firewall_cmd_init(struct firewall_cmd *c);
void firewall_cmd_free(struct firewall_cmd *c);
void firewall_cmd_flush(struct firewall_cmd *c, const struct firewall_nft *nft);
void firewall_cmd_elements(struct firewall_cmd *c,
    const struct firewall_nft *nft, const char *op, uint8_t family);
void firewall_cmd_element(struct firewall_cmd *c, const struct host_key *key,
    int64_t timeout);
void firewall_cmd_end(struct firewall_cmd *c);

#endif
