/*
 * policy.h - SMTP events in, verdicts out: the one rule engine behind
 * every detector.
 *
 * A policy holds the configuration in force and the store.  Each client
 * connection gets a policy_session from policy_connect(); every later
 * event of that connection goes through its session, and policy_close()
 * ends it.  The time is always passed in (Unix seconds), so tests drive
 * the engine with their own clock.
 *
 * Every event function fills a verdict:
 *   VERDICT_CONTINUE  let the MTA go on;
 *   VERDICT_TEMPFAIL  reply rcode/xcode/text (421 4.7.0: the MTA drops
 *                     the connection) and return tempfail;
 *   VERDICT_REJECT    reply rcode/xcode/text (554 5.7.1 at CONNECT,
 *                     550 5.7.1 or 550 5.1.1 later) and return reject.
 * text is ready for smfi_setreply(): printable ASCII, a literal percent
 * sign doubled.
 *
 * Once a session has been refused with tempfail or reject by a detector,
 * every later event of that session gets the same verdict (the MTA may
 * ignore the verdict on a recipient it rejected itself).
 *
 * A session keeps the configuration it started with until it closes, so
 * policy_set_config() (reload) never changes rules under a connection.
 *
 * Functions never fail.  When the shared store fails, the store's result
 * says what decided instead (store_fallback.h): the node's local store,
 * or no store, and then the event is let through or refused with
 * 421 4.3.0 (tempfail); an event no store decided is logged and counted.
 * Every session with an IP address is also entered in the policy's
 * table of live sessions (sessions.h) until it closes, with the furthest
 * stage it reached (HELO: greeted, MAIL: transaction, DATA: data); one
 * refused at CONNECT leaves it at once, as the MTA drops it.  With
 * concurrency.enabled, a counted host (not excluded) with more than
 * concurrency.max_sessions live sessions has the next refused at CONNECT,
 * after the DoS rule has counted it; sessions the full table could not
 * enter are not counted.  With a store that shares live sessions (Redis)
 * the count is the host's across the array, taken in the CONNECT event's
 * store operation, and a counted session is uncounted at close (one more
 * store operation); the policy is the store's source of this node's
 * counted sessions (store_set_sessions_source()) from policy_new() to
 * policy_free().  Without it, or while the store fails, the count is
 * this node's.
 * policy_sessions() is that table.
 *
 * Client text passed in (HELO names, addresses, commands) is only ever
 * logged escaped.  Sessions may be used from any thread, one event at a
 * time per session.
 */
#ifndef BULWARK_POLICY_H
#define BULWARK_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "store.h"
#include "verdict.h"

struct policy;
struct policy_session;
struct sessions;

/* A recipient as the MTA reports it. */
struct policy_rcpt {
	const char *address;		/* envelope address, "<user@domain>" */
	bool rejected;			/* the MTA rejected it ({rcpt_mailer} error) */
	const char *status;		/* its enhanced status ({rcpt_host}), or NULL */
};

/* Takes over one reference of cfg; store stays the caller's. */
struct policy *policy_new(struct config *cfg, struct store *store);
void policy_free(struct policy *policy);
void policy_set_config(struct policy *policy, struct config *cfg);
/* The configuration in force, with a reference for the caller. */
struct config *policy_config(struct policy *policy);

/*
 * addr NULL: a connection without an IP address, never counted.
 * policy_connect_named(): verified_name is the client's forward-confirmed
 * name (verified.h), or NULL; a name in exclude_verified_domains excludes
 * the host like the exclude list.  policy_connect() has no name.
 */
struct policy_session *policy_connect(struct policy *policy,
    const struct host_addr *addr, int64_t now, struct verdict *verdict);
struct policy_session *policy_connect_named(struct policy *policy,
    const struct host_addr *addr, const char *verified_name, int64_t now,
    struct verdict *verdict);
/* tls: the connection is encrypted (the EHLO after STARTTLS is expected). */
void policy_helo(struct policy_session *session, const char *name, bool tls,
    int64_t now, struct verdict *verdict);
/* auth_user: the SMTP AUTH identity ({auth_authen}), or NULL. */
void policy_mail(struct policy_session *session, const char *auth_user,
    int64_t now, struct verdict *verdict);
void policy_rcpt(struct policy_session *session,
    const struct policy_rcpt *rcpt, int64_t now, struct verdict *verdict);
void policy_data(struct policy_session *session, int64_t now,
    struct verdict *verdict);
void policy_unknown(struct policy_session *session, const char *command,
    int64_t now, struct verdict *verdict);
/* The transaction was aborted (RSET); the MTA ignores any verdict. */
void policy_abort(struct policy_session *session, int64_t now);
/* The message was accepted: the transaction ended normally. */
void policy_end_of_message(struct policy_session *session);
/* Ends the session; NULL is accepted. */
void policy_close(struct policy_session *session);

/* For logs and tests. */
uint64_t policy_session_id(const struct policy_session *session);
struct sessions *policy_sessions(struct policy *policy);

/*
 * An observer sees every store operation the engine makes, with its
 * outcome: bulwark-replay reports the blocks it made from it, the
 * daemon's firewall pushes every block that trips or refuses.  fn NULL
 * removes it; it may be set or removed while sessions run.  It runs in
 * the thread of the event and must return at once.
 */
typedef void (*policy_observer_fn)(const struct store_event *event,
    const struct store_result *result, void *arg);
void policy_set_observer(struct policy *policy, policy_observer_fn fn,
    void *arg);

/*
 * Whether the session's next event of a kind depends on an input the MTA
 * gives only on request (a macro lookup): when false, policy_helo()
 * ignores tls, policy_mail() auth_user, policy_rcpt() rejected and
 * status, so the caller may pass false or NULL without asking.  A
 * session stops needing one for good once refused, excluded or (for
 * HELO) when unexpected HELOs are not counted.
 */
enum policy_input {
	POLICY_INPUT_TLS,		/* policy_helo(): tls */
	POLICY_INPUT_AUTH,		/* policy_mail(): auth_user */
	POLICY_INPUT_RCPT_REJECTED	/* policy_rcpt(): rejected, status */
};
bool policy_needs(const struct policy_session *session,
    enum policy_input input);

#endif
