/*
 * sessions.h - the live SMTP sessions of this node: who is connected,
 * since when, and how far each session has got.
 *
 * A sessions table holds at most `capacity` sessions, allocated once by
 * sessions_new(): memory is bounded whatever the traffic.  Every call is
 * O(1) whatever the number of sessions and hosts, except the snapshot
 * functions, which cost in proportion to the live sessions.
 *
 * sessions_open() enters a session of the host key at time now, at stage
 * SESSIONS_CONNECTED, and returns its handle (non-zero), with the number
 * of live sessions of that host (this one included) in *host_sessions
 * when that is not NULL.  When the table is full the session is not
 * entered: it returns 0, *host_sessions is 0 and the session is counted
 * as untracked.
 * sessions_advance() records that the session reached stage; a stage is
 * the furthest reached, so an earlier one (HELO after MAIL) changes
 * nothing.  sessions_close() removes the session.  Both accept handle 0
 * (a session that was never entered) and do nothing with it.  One
 * session's calls come one at a time; different sessions may be used
 * from any threads at once.
 *
 * sessions_count() marks the session as counted by the concurrency
 * limit (its host is not excluded); a host's counted sessions are the
 * ones sessions_counted() reports, for the store to share with the other
 * nodes of an array.  Also O(1).  It returns the table's count sequence
 * after the mark (0 when nothing was marked): the sequence grows with
 * every session marked, so a store can tell a snapshot of
 * sessions_counted() (which returns the sequence it was taken at in
 * *seq) older than a session it was told of.
 *
 * sessions_snapshot() copies the live sessions (at most max of them)
 * into out and returns how many were copied; sessions_hosts() does the
 * same for the hosts with live sessions and their counts.  Neither is
 * in any particular order; sessions_counted() is sessions_hosts() with
 * the counted sessions alone (hosts with none left out).
 * sessions_stats() reads the totals.
 *
 * Every move between stages is also reported to metrics.h
 * (metrics_session_stage()), which keeps the process-wide gauges.
 */
#ifndef BULWARK_SESSIONS_H
#define BULWARK_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum sessions_stage {
	SESSIONS_CONNECTED,		/* CONNECT seen */
	SESSIONS_GREETED,		/* HELO or EHLO seen */
	SESSIONS_TRANSACTION,		/* MAIL seen */
	SESSIONS_DATA			/* DATA seen */
};

#define SESSIONS_STAGES		4
#define SESSIONS_CAPACITY	4096	/* the daemon's table */

struct sessions;

struct sessions_entry {
	uint64_t handle;
	struct host_key key;
	int64_t since;			/* Unix seconds */
	enum sessions_stage stage;
};

struct sessions_host {
	struct host_key key;
	uint32_t sessions;
};

struct sessions_stats {
	uint64_t live;
	uint64_t stages[SESSIONS_STAGES];
	uint64_t untracked;		/* sessions not entered: table full */
	unsigned capacity;
};

struct sessions *sessions_new(unsigned capacity);
void sessions_free(struct sessions *table);

uint64_t sessions_open(struct sessions *table, const struct host_key *key,
    int64_t now, uint32_t *host_sessions);
void sessions_advance(struct sessions *table, uint64_t handle,
    enum sessions_stage stage);
void sessions_close(struct sessions *table, uint64_t handle);
uint64_t sessions_count(struct sessions *table, uint64_t handle);

size_t sessions_snapshot(struct sessions *table, struct sessions_entry *out,
    size_t max);
size_t sessions_hosts(struct sessions *table, struct sessions_host *out,
    size_t max);
size_t sessions_counted(struct sessions *table, struct sessions_host *out,
    size_t max, uint64_t *seq);
void sessions_stats(struct sessions *table, struct sessions_stats *out);

const char *sessions_stage_name(enum sessions_stage stage);

#endif
