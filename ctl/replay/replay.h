/*
 * replay.h - bulwark-replay: mail logs through the detection library.
 *
 * The pieces, one file each:
 *   stamp.c    syslog timestamps (classic with the year inferred, RFC 3339)
 *   reader.c   one log file, plain or gzip, cut into lines with headers
 *   input.c    every file merged into one stream in time order
 *   postfix.c  a Postfix smtpd line to a replay_event
 *   sendmail.c Sendmail's lines to replay_events, once the client is known
 *   engine.c   replay_events through policy.h on a private memory store,
 *              with the log's clock; the blocks and per-host figures
 *   hosts.c    the per-host figures, keyed like the store (host_key)
 *   settings.c --set KEY=VALUE applied to the parsed configuration
 *   report*.c  text, JSON, sweep table and HTML output
 *
 * Nothing here trusts the log: lines are bounded (REPLAY_LINE_MAX), client
 * text is escaped before it is printed, and no log byte is ever a format.
 */
#ifndef BULWARK_REPLAY_H
#define BULWARK_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "config.h"
#include "detector.h"

#define REPLAY_LINE_MAX		8192	/* longer lines are cut and not read */
#define REPLAY_UNPARSED_SHOWN	5	/* unparsed lines quoted in the report */

/* --- Timestamps (stamp.c) ------------------------------------------------ */

struct stamp_state {
	int year;			/* year of the last classic stamp */
	int month;			/* its month 0..11, -1 before the first */
	int ref_year;			/* of the reference time (file mtime) */
	int ref_month;
	int64_t cache_hour;		/* (year, month, day, hour) cached ... */
	int64_t cache_base;		/* ... and its Unix time */
};

void stamp_init(struct stamp_state *st, time_t reference);
/*
 * Read the timestamp at the start of text ("Mmm dd HH:MM:SS" in local
 * time, the year inferred and rolled over, or RFC 3339): the number of
 * bytes it took, 0 when there is none.
 */
size_t stamp_parse(struct stamp_state *st, const char *text, int64_t *out);

/* --- Lines (reader.c, input.c) ------------------------------------------- */

enum line_kind {
	LINE_SYSLOG,		/* stamp, host, program and message read */
	LINE_CONTINUED,		/* starts with a blank: the previous message goes on */
	LINE_UNPARSED		/* anything else, also too long or holding NUL */
};

struct log_line {
	enum line_kind kind;
	const char *file;
	unsigned long lineno;
	const char *text;		/* the whole line, NUL-terminated */
	size_t len;
	int64_t time;			/* LINE_SYSLOG */
	const char *host;		/* NUL-terminated, LINE_SYSLOG */
	const char *prog;		/* "postfix/smtpd", ... */
	long pid;			/* -1 without one */
	const char *msg;		/* after "prog[pid]: " */
};

struct reader;

/* Open path ("-": standard input); NULL with the reason in err. */
struct reader *reader_open(const char *path, char *err, size_t errlen);
/* The next line, or NULL at the end (a read error is reported in err). */
const struct log_line *reader_next(struct reader *r, char *err,
    size_t errlen);
/* Bytes of the file read so far and its size (0 when unknown). */
void reader_progress(const struct reader *r, uint64_t *done,
    uint64_t *total);
void reader_close(struct reader *r);

struct input;

struct input *input_open(char *const *paths, size_t count, char *err,
    size_t errlen);
/* The line that comes next in time, or NULL at the end or on error. */
const struct log_line *input_next(struct input *in, char *err, size_t errlen);
void input_progress(const struct input *in, uint64_t *done, uint64_t *total);
void input_close(struct input *in);

/* --- Events (postfix.c) -------------------------------------------------- */

enum replay_kind {
	REPLAY_CONNECT,		/* connect from NAME[ADDR] */
	REPLAY_CLIENT,		/* another line naming the session's client */
	REPLAY_XCLIENT,		/* the MTA sent the milter a new CONNECT */
	REPLAY_RCPT_REJECTED,	/* the MTA rejected a recipient */
	REPLAY_RCPT,		/* a recipient the MTA accepted, by address */
	REPLAY_MAIL,		/* a transaction with a queue file */
	REPLAY_DISCONNECT	/* with the session's command summary */
};

/* Postfix's disconnect summary: "ehlo=2 mail=1 rcpt=0/5 unknown=0/3 ..." */
struct replay_summary {
	unsigned helo;			/* HELO and EHLO commands */
	unsigned unknown;		/* unknown commands */
	unsigned rcpt_ok;		/* recipients accepted */
	unsigned delivered;		/* messages accepted (DATA, BDAT) */
	unsigned xclient;		/* XCLIENT commands */
	bool starttls;
};

struct replay_event {
	enum replay_kind kind;
	int64_t now;
	uint64_t session;		/* log host and process of the session */
	bool names_client;		/* the line names the session's client */
	bool has_addr;			/* ... with an IP address */
	struct host_addr addr;
	char name[256];			/* the client's verified name, or "" */
	char status[16];		/* RCPT_REJECTED: "5.1.1", or "" */
	char rcpt[256];			/* RCPT: "<user@domain>" */
	char auth_user[256];		/* MAIL: the SASL user, or "" */
	struct replay_summary summary;	/* DISCONNECT */
};

/*
 * The enhanced status of an SMTP reply, "550 5.1.1 ..." -> "5.1.1", into
 * out; "" when the reply has none (or it does not fit).  For the parsers.
 */
void engine_reply_status(const char *reply, char *out, size_t outlen);

enum parse_result {
	PARSE_EVENT,		/* ev is filled */
	PARSE_IGNORED,		/* a line of no interest */
	PARSE_BAD		/* a line of interest that does not parse */
};

/* Lines of Postfix's smtpd (any syslog_name ending in "smtpd"). */
bool postfix_is_smtpd(const char *prog);
enum parse_result postfix_parse(const struct log_line *line,
    uint64_t session, struct replay_event *ev);

/*
 * Sendmail's lines (sendmail.c): a session's events come out when a line
 * names its client, through emit.
 */
#define SENDMAIL_IDLE 3600	/* seconds: a session this idle has ended */

typedef void (*replay_emit_fn)(const struct replay_event *ev, void *arg);
struct sendmail;

bool sendmail_is_mta(const char *prog);
struct sendmail *sendmail_new(void);
void sendmail_free(struct sendmail *sm);
enum parse_result sendmail_line(struct sendmail *sm,
    const struct log_line *line, uint64_t session, replay_emit_fn emit,
    void *arg);
/* End the sessions idle at now; now INT64_MAX ends them all. */
void sendmail_expire(struct sendmail *sm, int64_t now, replay_emit_fn emit,
    void *arg);

/* --- Hosts and blocks (hosts.c) ------------------------------------------ */

struct host_stats {
	struct host_key key;
	uint32_t connections;
	uint32_t refused_connections;
	uint32_t invalid_recipients;	/* rejected with a counted status */
	uint32_t refused_recipients;	/* accepted ones, in refused sessions */
	uint32_t delivered;		/* messages accepted by the MTA */
	uint32_t mail_refused;		/* of those, in refused sessions */
	uint32_t blocks;
	int64_t first_seen;
	int64_t last_seen;
	int32_t current[DETECTOR_COUNT];	/* its last block, -1 none */
	int32_t watch;			/* index of its chart, -1 none */
};

struct replay_block {
	struct host_key key;
	enum detector detector;
	int64_t start;
	int64_t end;
	uint32_t count;			/* the count that tripped the rule */
	uint32_t refused;		/* connections it refused */
};

struct host_table;

struct host_table *hosts_new(void);
void hosts_free(struct host_table *t);
/* The host's figures, created (zeroed) when it is new. */
struct host_stats *hosts_get(struct host_table *t, const struct host_key *key);
struct host_stats *hosts_find(struct host_table *t, const struct host_key *key);
size_t hosts_count(const struct host_table *t);
/* Every host, in no order; fn returning non-zero stops. */
void hosts_each(struct host_table *t,
    int (*fn)(struct host_stats *h, void *arg), void *arg);

/* --- The replay (engine.c) ----------------------------------------------- */

#define REPLAY_CHART_BUCKETS 240

/* A host whose timeline is drawn: its events counted per bucket. */
struct replay_chart {
	struct host_key key;
	int64_t from;			/* time of bucket 0 */
	int64_t width;			/* seconds per bucket */
	uint32_t connections[REPLAY_CHART_BUCKETS];
	uint32_t invalid[REPLAY_CHART_BUCKETS];
};

struct replay_totals {
	uint64_t sessions;
	uint64_t connections;
	uint64_t refused_connections;
	uint64_t refused_recipients;
	uint64_t invalid_recipients;
	uint64_t delivered;
	int64_t first;			/* time of the first and last event */
	int64_t last;
};

struct engine;

/* Takes over one reference of cfg; NULL with the reason in err. */
struct engine *engine_new(struct config *cfg, char *err, size_t errlen);
void engine_free(struct engine *e);
const struct config *engine_config(const struct engine *e);
/* Draw these hosts' timelines (before the first event). */
void engine_watch(struct engine *e, struct replay_chart *charts, size_t n);
void engine_event(struct engine *e, const struct replay_event *ev);
/* Close every session still open (the end of the log). */
void engine_finish(struct engine *e);

const struct replay_block *engine_blocks(const struct engine *e, size_t *n);
struct host_table *engine_hosts(struct engine *e);
const struct replay_totals *engine_totals(const struct engine *e);

/* --- Settings (settings.c) ----------------------------------------------- */

struct setting {
	const char *key;		/* "dos.max_connections" */
	const char *value;		/* libconfig syntax, or a bare string */
};

/*
 * Load path (NULL: the defaults) with every setting applied, the store
 * forced to "memory" and monitor_only to false: what the rules would
 * have refused.  NULL with "file:line: what" (or "--set KEY=VALUE: what")
 * in err.
 */
struct config *settings_load(const char *path, const struct setting *set,
    size_t count, char *err, size_t errlen);
/* Split "KEY=VALUE" (the text is kept); -1 when there is no '='. */
int settings_split(char *text, struct setting *out);

/* --- Reports (report.c, report_json.c, report_html.c) -------------------- */

struct replay_stats {
	uint64_t lines;
	uint64_t syslog;		/* lines with a syslog header */
	uint64_t mta;			/* of those, lines of the MTA (smtpd, Sendmail) */
	uint64_t continued;
	uint64_t unparsed;
	struct {
		char where[160];	/* "file:line" */
		char text[160];		/* escaped, cut */
	} shown[REPLAY_UNPARSED_SHOWN];
};

/* One host of a report. */
struct replay_host {
	const struct host_stats *host;
};

/*
 * The hosts blocked at least once, or (hurt) only those of them that also
 * delivered mail in the period, in no order; free() it.
 */
struct replay_host *report_blocked(struct engine *e, bool hurt, size_t *n);
/* The hurt hosts, ranked by mail refused then delivered; free() it. */
struct replay_host *report_hurt(struct engine *e, size_t *n);
size_t report_blocked_hosts(struct engine *e);

void report_text(FILE *out, struct engine *e, const struct replay_stats *st,
    const char *config_path, size_t top);
void report_sweep(FILE *out, const char *key, char *const *values,
    struct engine *const *engines, size_t n);
/* 0, or -1 when writing failed. */
int report_json(FILE *out, struct engine *e, const struct replay_stats *st);
int report_sweep_json(FILE *out, const char *key, char *const *values,
    struct engine *const *engines, size_t n);
/* The blocked hosts to draw, at most top, their spans set; free() it. */
struct replay_chart *report_charts_pick(struct engine *e, size_t top,
    size_t *n);
int report_html(FILE *out, struct engine *e, const struct replay_stats *st,
    const struct replay_chart *charts, size_t ncharts);

#endif
