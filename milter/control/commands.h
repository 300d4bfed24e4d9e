/*
 * commands.h - the requests of the control socket and their answers.
 *
 * A request is one line: a command and its arguments separated by single
 * spaces; the last argument of block (REASON) is the rest of the line.
 *   status                       the daemon, its store and its counters
 *   list [dos|dha|attack|manual] the blocks in force
 *   show HOST                    what is known of a host
 *   block HOST DURATION [REASON] block by hand (DETECTOR_MANUAL)
 *   unblock HOST                 end blocks, forget counts
 *   unblock --all [DETECTOR]     end every block (of that detector)
 *   exclude list                 the entries of exclude_file
 *   exclude add|remove HOST      change exclude_file, then reload
 *   reload                       read the configuration again
 *   metrics                      the metrics in Prometheus text format
 *   top                          the live sessions, for bulwarkctl top
 * HOST is an IPv4 or IPv6 address, a host key as list prints it
 * ("2001:db8:1:2::/64") or a CIDR prefix with no bit set past its
 * length.  An address, or a prefix at least as long as the running
 * ipv4_prefix/ipv6_prefix, names one host: its key.  A shorter prefix
 * names every host inside it: unblock ends the blocks of each blocked
 * host inside it (one walk of the blocks, as list), and of each network
 * inside it, block blocks each of its host keys when there are at most
 * COMMANDS_PREFIX_HOSTS_MAX and is refused otherwise (the blocked list
 * holds prefixes), show shows the network of that prefix when a network
 * group counts networks of its length (or the store holds a block of it)
 * and is refused otherwise.
 * unblock of a host (or prefix, or --all) ends all of its blocks, and
 * --all DETECTOR unblocks whole the hosts that DETECTOR blocks.
 * DURATION is written as in bulwark.conf ("90", "10m", "2d"), from 1 s
 * to 366 days.  REASON is at most STORE_NOTE_REASON_MAX - 1 bytes of any
 * text.  exclude add/remove refuse when exclude_file is not set; see
 * commands_exclude.c for how the file is rewritten.
 *
 * The answer is a JSON object: "ok": true, "command" and the command's
 * members, or "ok": false, "command" (when known) and "error", a
 * sentence.  Times are Unix seconds; null means unknown or none.
 *   status: version, pid, node, started, uptime, config, monitor_only,
 *     store { backend, health ("ok", "degraded", "failing"), error },
 *     counters [ { name, value } ] (the counters and gauges of metrics).
 *   list: now, total, truncated, blocks [ block ] where block is
 *     { host (the host key, or the network's prefix), detector, count,
 *     started, ends, sliding, node, reason } and its explanation { rule
 *     ("host", "network": a network rule's block of the prefix in host,
 *     "manual"), threshold, period (recorded when it started), level,
 *     start, end };
 *     sorted by their end; at most COMMANDS_LIST_MAX of them (truncated
 *     is true when total found more).
 *   show: address, host (the host key, or the network's prefix), network
 *     (true: a network is shown), networks [ prefix ] (a host's networks
 *     under the running network groups), excluded, blocked_list, status
 *     ("blocked-list", "excluded", "blocked": by its own block or one of
 *     its networks', "counted": not blocked, counted in an open
 *     evaluation period, "unseen": nothing known), why, detectors [ {
 *     detector, enabled (the detector runs), blocks (it may block a
 *     host), count, max, period, window_start, window_ends, blocked,
 *     block_until, sliding } ] (a network's: by the network rules),
 *     blocks [ block ] (a host's own, then its networks'); the attack
 *     entry also has max_commands and flag_action.
 *   block: host, hosts (how many host keys), until, duration, reason,
 *     excluded, warning (or null).
 *   unblock: scope ("host", "prefix", "all"), host (the host key, the
 *     prefix, or null), detector (or null), was_blocked,
 *     unblocked (how many hosts), hosts [ host key ] (at most
 *     COMMANDS_LIST_MAX).
 *   exclude list: file, entries [ text ].
 *   exclude add|remove: file, action, entry, changed, excluded (the
 *     address, or the prefix's first, is excluded now), warning,
 *     restart_needed.
 *   reload: config, restart_needed [ key ] (the keys whose change waits
 *     for a restart; see config_keep_start_keys()).
 *   metrics: metrics (the text).
 *   top: now, node, sessions (this node's live sessions), capacity,
 *     untracked (sessions not entered, the table being full), stages
 *     { connected, greeted, transaction, data } (live sessions by the
 *     furthest stage reached), hosts [ { host, sessions } ] (the
 *     hosts with most live sessions, most first), oldest [ { host,
 *     stage, since, age } ], thresholds [ { detector, enabled, max,
 *     period, hosts [ { host, count, window_ends, blocked_until } ] } ]
 *     (dos, dha, attack: the counts in the open window of the hosts of
 *     "hosts", highest first), blocks [ block ] (the blocks in force that
 *     started last, blocks by hand after), blocks_total, refusals
 *     { total, per_second, over } (per second over the last `over`
 *     seconds), store (as in status), store_error (why the store could
 *     not answer, or null), nodes [ { node, sessions, stages,
 *     refusals_per_second, expires } ] (every node of the array by name,
 *     from the store; this node alone without a store that shares them).
 *     Lists other than nodes hold at most 10 entries.
 *
 * commands_run() runs one request (its line without the '\n') for the
 * peer with uid peer and returns the answer, malloc'd, ending in '\n'.
 * commands_refuse() returns the answer to a request that could not be
 * read, with why as its error.
 */
#ifndef BULWARK_COMMANDS_H
#define BULWARK_COMMANDS_H

#include <sys/types.h>

#include "runtime.h"

#define COMMANDS_LIST_MAX 10000
#define COMMANDS_PREFIX_HOSTS_MAX 256

char *commands_run(struct runtime *rt, const char *line, uid_t peer);
char *commands_refuse(const char *why);

#endif
