/*
 * commands.h - the requests of the control socket and their answers.
 *
 * A request is one line: a command and its arguments separated by single
 * spaces; the last argument of block (REASON) is the rest of the line.
 *   status                       the daemon, its store and its counters
 *   list [dos|dha|attack|manual] the blocks in force
 *   show ADDRESS                 what is known of the host of ADDRESS
 *   block ADDRESS DURATION [REASON]  block it by hand (DETECTOR_MANUAL)
 *   unblock ADDRESS              end its blocks, forget its counts
 *   reload                       read the configuration again
 *   metrics                      the metrics in Prometheus text format
 *   top                          the live sessions, for bulwarkctl top
 * ADDRESS is an IPv4 or IPv6 address; its host is its prefix under the
 * running ipv4_prefix/ipv6_prefix.  DURATION is written as in
 * bulwark.conf ("90", "10m", "2d"), from 1 s to 366 days.  REASON is at
 * most STORE_NOTE_REASON_MAX - 1 bytes of any text.
 *
 * The answer is a JSON object: "ok": true, "command" and the command's
 * members, or "ok": false, "command" (when known) and "error", a
 * sentence.  Times are Unix seconds; null means unknown or none.
 *   status: version, pid, node, started, uptime, config, monitor_only,
 *     store { backend, health ("ok", "degraded", "failing"), error },
 *     counters [ { name, value } ] (the counters and gauges of metrics).
 *   list: now, total, truncated, blocks [ block ] where block is
 *     { host, detector, count, started, ends, sliding, node, reason };
 *     sorted by their end; at most COMMANDS_LIST_MAX of them (truncated
 *     is true when total found more).
 *   show: address, host, excluded, blocked_list, status ("blocked-list",
 *     "excluded", "blocked", "counted"), why, detectors [ { detector,
 *     enabled, count, max, period, window_start, window_ends, blocked,
 *     block_until, sliding } ], blocks [ block ].
 *   block: host, until, duration, reason, excluded, warning (or null).
 *   unblock: host, was_blocked.
 *   reload: config.
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
 *     not answer, or null).  Lists hold at most 10 entries.
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

char *commands_run(struct runtime *rt, const char *line, uid_t peer);
char *commands_refuse(const char *why);

#endif
