/*
 * callbacks.c - see callbacks.h.
 *
 * Each callback is a shim: find the connection's session, read the
 * macros it needs, call one policy function with the current time and
 * turn the verdict into a libmilter status (and reply).  What to do lives
 * in lib/policy.c, not here.
 *
 * The MTA is asked for the recipients it rejected itself (SMFIP_RCPT_REJ)
 * and, where it lets the filter choose, for just the macros used below;
 * each is looked up only when the session needs it (policy_needs()), as
 * a lookup scans every macro the MTA sent.
 * Headers, end of headers and body are never needed, so they are skipped.
 * No stage that may refuse is ever made "no reply".
 *
 * Stopping: libmilter's sessions run in threads of their own that outlive
 * smfi_main().  Every callback passes a gate, a count of callbacks in
 * progress; callbacks_drain() closes it and waits for that count to fall
 * to zero, after which no callback touches the policy any more: a
 * callback arriving later lets its command through untouched (the MTA
 * applies its own milter default once the daemon is gone).  The gate is
 * two atomic operations per callback, no lock.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "log.h"
#include "runtime.h"
#include "verified.h"

/* Protocol steps bulwark asks for whenever the MTA offers them. */
#define CALLBACKS_STEPS \
    (SMFIP_RCPT_REJ | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY)

#define CALLBACKS_DRAIN_STEP_MS	10

static struct policy *callbacks_policy;
static atomic_uint callbacks_active;
static atomic_bool callbacks_closed;

/* Enter a callback; false once the daemon is stopping. */
static bool gate_enter(void)
{
	atomic_fetch_add(&callbacks_active, 1);
	if (!atomic_load(&callbacks_closed))
		return true;
	atomic_fetch_sub(&callbacks_active, 1);
	return false;
}

static sfsistat gate_leave(sfsistat status)
{
	atomic_fetch_sub(&callbacks_active, 1);
	return status;
}

/* The connection's session; one without an address if CONNECT never came. */
static struct policy_session *session_of(SMFICTX *ctx)
{
	struct policy_session *session = smfi_getpriv(ctx);
	struct verdict ignored;

	if (session == NULL) {
		session = policy_connect(callbacks_policy, NULL, time(NULL),
		    &ignored);
		smfi_setpriv(ctx, session);
	}
	return session;
}

/* The verdict as a libmilter status, with its reply set when it refuses. */
static sfsistat answer(SMFICTX *ctx, struct verdict *verdict)
{
	if (verdict->kind == VERDICT_CONTINUE)
		return SMFIS_CONTINUE;
	if (smfi_setreply(ctx, verdict->rcode, verdict->xcode,
	    verdict->text) != MI_SUCCESS)
		log_warning("event=reply-error code=%s xcode=%s",
		    verdict->rcode, verdict->xcode);
	return verdict->kind == VERDICT_TEMPFAIL ? SMFIS_TEMPFAIL :
	    SMFIS_REJECT;
}

static bool macro_is(SMFICTX *ctx, char *name, const char *value)
{
	const char *macro = smfi_getsymval(ctx, name);

	return macro != NULL && strcmp(macro, value) == 0;
}

static void request_macros(SMFICTX *ctx)
{
	static const struct {
		int stage;
		char *macros;
	} wanted[] = {
		{ SMFIM_CONNECT, "{client_name} {client_resolve}" },
		{ SMFIM_HELO, "{tls_version}" },
		{ SMFIM_ENVFROM, "{auth_authen}" },
		{ SMFIM_ENVRCPT, "{rcpt_mailer} {rcpt_host}" },
	};

	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (smfi_setsymlist(ctx, wanted[i].stage,
		    wanted[i].macros) != MI_SUCCESS)
			log_warning("event=macro-error stage=%d macros=\"%s\"",
			    wanted[i].stage, wanted[i].macros);
	}
}

static sfsistat on_negotiate(SMFICTX *ctx, unsigned long actions,
    unsigned long steps, unsigned long f2, unsigned long f3,
    unsigned long *want_actions, unsigned long *want_steps,
    unsigned long *want_f2, unsigned long *want_f3)
{
	*want_actions = actions & SMFIF_SETSYMLIST;
	*want_steps = steps & CALLBACKS_STEPS;
	*want_f2 = 0;
	*want_f3 = 0;
	runtime_mta_connected((int64_t)time(NULL));
	if (*want_actions & SMFIF_SETSYMLIST)
		request_macros(ctx);
	return SMFIS_CONTINUE;
}

/*
 * The address comes from the socket address, never from a macro; the
 * name only when the MTA verified it (verified.h).
 */
static sfsistat on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct host_addr addr;
	struct verdict verdict;
	bool known = addr_from_sockaddr(hostaddr, &addr) == 0;
	const char *name = verified_name(smfi_getsymval(ctx, "{client_name}"),
	    smfi_getsymval(ctx, "{client_resolve}"));

	if (!gate_enter())
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, policy_connect_named(callbacks_policy,
	    known ? &addr : NULL, name, time(NULL), &verdict));
	return gate_leave(answer(ctx, &verdict));
}

static sfsistat on_helo(SMFICTX *ctx, char *name)
{
	struct policy_session *session;
	struct verdict verdict;
	bool tls;

	if (!gate_enter())
		return SMFIS_CONTINUE;
	session = session_of(ctx);
	tls = policy_needs(session, POLICY_INPUT_TLS) &&
	    smfi_getsymval(ctx, "{tls_version}") != NULL;
	policy_helo(session, name, tls, time(NULL), &verdict);
	return gate_leave(answer(ctx, &verdict));
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	struct policy_session *session;
	struct verdict verdict;
	const char *auth_user = NULL;

	if (!gate_enter())
		return SMFIS_CONTINUE;
	session = session_of(ctx);
	if (policy_needs(session, POLICY_INPUT_AUTH))
		auth_user = smfi_getsymval(ctx, "{auth_authen}");
	policy_mail(session, auth_user, time(NULL), &verdict);
	return gate_leave(answer(ctx, &verdict));
}

static sfsistat on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct policy_session *session;
	struct verdict verdict;
	struct policy_rcpt rcpt = {
		.address = argv[0] != NULL ? argv[0] : "",
	};

	if (!gate_enter())
		return SMFIS_CONTINUE;
	session = session_of(ctx);
	if (policy_needs(session, POLICY_INPUT_RCPT_REJECTED)) {
		rcpt.rejected = macro_is(ctx, "{rcpt_mailer}", "error");
		if (rcpt.rejected)
			rcpt.status = smfi_getsymval(ctx, "{rcpt_host}");
	}
	policy_rcpt(session, &rcpt, time(NULL), &verdict);
	return gate_leave(answer(ctx, &verdict));
}

static sfsistat on_data(SMFICTX *ctx)
{
	struct verdict verdict;

	if (!gate_enter())
		return SMFIS_CONTINUE;
	policy_data(session_of(ctx), time(NULL), &verdict);
	return gate_leave(answer(ctx, &verdict));
}

static sfsistat on_unknown(SMFICTX *ctx, const char *command)
{
	struct verdict verdict;

	if (!gate_enter())
		return SMFIS_CONTINUE;
	policy_unknown(session_of(ctx), command, time(NULL), &verdict);
	return gate_leave(answer(ctx, &verdict));
}

static sfsistat on_abort(SMFICTX *ctx)
{
	if (!gate_enter())
		return SMFIS_CONTINUE;
	policy_abort(session_of(ctx), time(NULL));
	return gate_leave(SMFIS_CONTINUE);
}

static sfsistat on_eom(SMFICTX *ctx)
{
	if (!gate_enter())
		return SMFIS_CONTINUE;
	policy_end_of_message(session_of(ctx));
	return gate_leave(SMFIS_CONTINUE);
}

/* May be the only callback of a connection: the session may be NULL. */
static sfsistat on_close(SMFICTX *ctx)
{
	if (!gate_enter())
		return SMFIS_CONTINUE;
	policy_close(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return gate_leave(SMFIS_CONTINUE);
}

static struct smfiDesc callbacks_desc = {
	.xxfi_name = "bulwark",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_NONE,
	.xxfi_connect = on_connect,
	.xxfi_helo = on_helo,
	.xxfi_envfrom = on_envfrom,
	.xxfi_envrcpt = on_envrcpt,
	.xxfi_eom = on_eom,
	.xxfi_abort = on_abort,
	.xxfi_close = on_close,
	.xxfi_unknown = on_unknown,
	.xxfi_data = on_data,
	.xxfi_negotiate = on_negotiate,
};

int callbacks_register(struct policy *policy)
{
	callbacks_policy = policy;
	return smfi_register(callbacks_desc) == MI_SUCCESS ? 0 : -1;
}

int callbacks_drain(unsigned timeout_ms)
{
	const struct timespec step = { 0, CALLBACKS_DRAIN_STEP_MS * 1000000L };

	atomic_store(&callbacks_closed, true);
	for (unsigned waited = 0; atomic_load(&callbacks_active) > 0;
	    waited += CALLBACKS_DRAIN_STEP_MS) {
		if (waited >= timeout_ms)
			return -1;
		nanosleep(&step, NULL);
	}
	return 0;
}
