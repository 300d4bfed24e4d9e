/*
 * loadgen.c - a milter load generator: the MTA side of milter protocol v6.
 *
 * usage: loadgen -s socket [-c sessions] [-d seconds | -n total]
 *                [-a pool] [-6] [-b first] [-R] [-S seed]
 *                [-H helos] [-u unknown] [-t transactions]
 *                [-r recipients] [-x rejected]
 *
 * Runs -c sessions at once (default 8), each on its own connection to
 * the filter at socket ("unix:/path", "inet:port@host" or a path), one
 * after another, for -d seconds (default 5) or until -n sessions have
 * started.  A session is what Postfix sends for one SMTP session:
 *
 *   OPTNEG; CONNECT with its macros; -H HELOs (default 1); -u unknown
 *   commands (default 0); -t transactions (default 1) of MAIL, -r
 *   recipients the MTA accepted (default 1) and -x it rejected as
 *   unknown (default 1: {rcpt_mailer}=error, {rcpt_host}=5.1.1, as
 *   Postfix marks them under SMFIP_RCPT_REJ), then ABORT; QUIT.
 *
 * Steps the filter asked not to see (SMFIP_NO*) are not sent and steps
 * it asked not to answer (SMFIP_NR_*) are not waited for.  A session
 * refused at CONNECT, HELO, an unknown command or MAIL ends there (ABORT
 * if a transaction is open, QUIT), as it would in the MTA; a refused
 * recipient does not end it.
 *
 * Client addresses come from a pool of -a addresses (default 1,000, at
 * most 2^32): IPv4 from -b (default 10.0.0.0) upwards, or with -6 one
 * address in each of as many IPv6 /64s from -b (default 2001:db8::).
 * Sessions take them in turn, or at random with -R (seed -S).
 *
 * Prints one JSON object: sessions, seconds, sessions_per_s, how the
 * sessions ended (completed, refused_connect, refused_helo,
 * refused_unknown, refused_mail, errors), refused recipient replies, and
 * for each stage (open = connecting and OPTNEG, connect, helo, unknown,
 * mail, rcpt, rcpt_rejected, session) n and the p50, p99 and max latency
 * in microseconds, from the write of the command to its reply.
 * Exit status: 0; 1 when no session completed; 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#define LG_BUF		4096
#define LG_TIMEOUT_S	10
#define LG_SUB_BITS	6	/* histogram: 64 buckets per power of two */
#define LG_SUB		(1u << LG_SUB_BITS)
#define LG_BUCKETS	(LG_SUB * 40)
/* What the generator offers, as Postfix does: every action and step. */
#define LG_ACTIONS	SMFI_CURR_ACTS
#define LG_STEPS	SMFI_CURR_PROT

enum lg_stage {
	LG_OPEN, LG_CONNECT, LG_HELO, LG_UNKNOWN, LG_MAIL, LG_RCPT,
	LG_RCPT_REJ, LG_SESSION, LG_STAGES
};

static const char *const lg_stage_names[LG_STAGES] = {
	"open", "connect", "helo", "unknown", "mail", "rcpt",
	"rcpt_rejected", "session"
};

enum lg_end {
	LG_COMPLETED, LG_REFUSED_CONNECT, LG_REFUSED_HELO, LG_REFUSED_UNKNOWN,
	LG_REFUSED_MAIL, LG_ERROR, LG_ENDS
};

static const char *const lg_end_names[LG_ENDS] = {
	"completed", "refused_connect", "refused_helo", "refused_unknown",
	"refused_mail", "errors"
};

struct lg_options {
	const char *socket;
	unsigned concurrency;
	double seconds;
	unsigned long total;		/* 0: run for seconds */
	uint64_t pool;
	bool ipv6;
	const char *first;
	bool random;
	uint64_t seed;
	unsigned helos, unknown, transactions, rcpts, rejected;
};

struct lg_hist {
	uint64_t n;
	uint64_t max_ns;
	uint64_t bucket[LG_BUCKETS];
};

struct lg_worker {
	pthread_t thread;
	unsigned id;
	uint64_t rng;
	uint64_t ends[LG_ENDS];
	uint64_t rcpt_refused, rej_refused;
	double finished;
	struct lg_hist hist[LG_STAGES];
};

/* One connection to the filter. */
struct lg_conn {
	int fd;
	uint32_t steps;			/* the filter's SMFIP_* flags */
	size_t in_len, in_off;
	size_t out_len;
	unsigned char in[LG_BUF];
	unsigned char out[LG_BUF];
};

static struct lg_options lg_opt = {
	.concurrency = 8, .seconds = 5, .pool = 1000, .seed = 1,
	.helos = 1, .transactions = 1, .rcpts = 1, .rejected = 1,
};
static struct sockaddr_storage lg_peer;
static socklen_t lg_peer_len;
static unsigned char lg_base[16];
static atomic_bool lg_stop;
static atomic_ulong lg_started;
static atomic_ulong lg_next_addr;

static double lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t lg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Log-linear buckets: exact below 64 ns, then 1/64 of a power of two. */
static unsigned lg_bucket(uint64_t ns)
{
	unsigned e;

	if (ns < LG_SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);
	if (e - LG_SUB_BITS + 1 >= LG_BUCKETS / LG_SUB)
		return LG_BUCKETS - 1;
	return (e - LG_SUB_BITS + 1) * LG_SUB +
	    (unsigned)((ns >> (e - LG_SUB_BITS)) & (LG_SUB - 1));
}

/* The middle of a bucket, in ns. */
static double lg_bucket_value(unsigned b)
{
	unsigned e;
	double low, width;

	if (b < LG_SUB)
		return b;
	e = b / LG_SUB + LG_SUB_BITS - 1;
	width = (double)(1ull << (e - LG_SUB_BITS));
	low = (double)(1ull << e) + (double)(b % LG_SUB) * width;
	return low + width / 2;
}

static void lg_hist_add(struct lg_hist *h, uint64_t ns)
{
	h->n++;
	h->bucket[lg_bucket(ns)]++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

static double lg_hist_quantile(const struct lg_hist *h, double q)
{
	uint64_t rank = (uint64_t)(q * (double)h->n), seen = 0;

	for (unsigned b = 0; b < LG_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen > rank)
			return lg_bucket_value(b);
	}
	return (double)h->max_ns;
}

static inline uint64_t lg_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* The client address of the next session, as text. */
static void lg_address(struct lg_worker *w, char *buf, size_t len)
{
	uint64_t i = lg_opt.random ? lg_rand(&w->rng) % lg_opt.pool :
	    atomic_fetch_add(&lg_next_addr, 1) % lg_opt.pool;
	unsigned char a[16];

	memcpy(a, lg_base, sizeof(a));
	if (lg_opt.ipv6) {
		uint32_t net = ((uint32_t)a[4] << 24 | (uint32_t)a[5] << 16 |
		    (uint32_t)a[6] << 8 | a[7]) + (uint32_t)i;

		a[4] = (unsigned char)(net >> 24);
		a[5] = (unsigned char)(net >> 16);
		a[6] = (unsigned char)(net >> 8);
		a[7] = (unsigned char)net;
		a[15] |= 1;
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
	} else {
		uint32_t v = ((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
		    (uint32_t)a[2] << 8 | a[3]) + (uint32_t)i;

		v = htonl(v);
		inet_ntop(AF_INET, &v, buf, (socklen_t)len);
	}
}

/* --- Packets ------------------------------------------------------------ */

/* Queue one packet: 4-byte big-endian length, command, data. */
static int lg_put(struct lg_conn *c, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)(len + 1));

	if (c->out_len + 5 + len > sizeof(c->out))
		return -1;
	memcpy(c->out + c->out_len, &n, 4);
	c->out[c->out_len + 4] = (unsigned char)cmd;
	if (len > 0)
		memcpy(c->out + c->out_len + 5, data, len);
	c->out_len += 5 + len;
	return 0;
}

/* Queue a macro packet: stage command, then NUL-terminated name, value. */
static int lg_put_macros(struct lg_conn *c, char stage, const char *const *nv,
    size_t count)
{
	char buf[512];
	size_t len = 0;

	buf[len++] = stage;
	for (size_t i = 0; i < count; i++) {
		size_t l = strlen(nv[i]) + 1;

		if (len + l > sizeof(buf))
			return -1;
		memcpy(buf + len, nv[i], l);
		len += l;
	}
	return lg_put(c, SMFIC_MACRO, buf, len);
}

static int lg_flush(struct lg_conn *c)
{
	size_t off = 0;

	while (off < c->out_len) {
		ssize_t n = send(c->fd, c->out + off, c->out_len - off,
		    MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	c->out_len = 0;
	return 0;
}

static int lg_fill(struct lg_conn *c, size_t want)
{
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	while (c->in_len < want) {
		ssize_t n = recv(c->fd, c->in + c->in_len,
		    sizeof(c->in) - c->in_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->in_len += (size_t)n;
	}
	return 0;
}

/* Read one packet; *data points into the buffer until the next read. */
static int lg_read(struct lg_conn *c, char *cmd, const unsigned char **data,
    size_t *len)
{
	uint32_t n;

	if (c->in_len - c->in_off < 4 && lg_fill(c, 4) < 0)
		return -1;
	memcpy(&n, c->in + c->in_off, 4);
	n = ntohl(n);
	if (n < 1 || n > sizeof(c->in) - 4)
		return -1;
	if (c->in_len - c->in_off < 4 + n && lg_fill(c, 4 + n) < 0)
		return -1;
	*cmd = (char)c->in[c->in_off + 4];
	*data = c->in + c->in_off + 5;
	*len = n - 1;
	c->in_off += 4 + n;
	return 0;
}

/*
 * Send what is queued and, unless the filter answers nothing to this
 * step, wait for its final reply.  Returns 'c' (go on), 'r' (refused),
 * 'a' (accepted: nothing more to send) or -1 on an error.
 */
static int lg_exchange(struct lg_conn *c, bool reply, struct lg_hist *h)
{
	uint64_t t0 = lg_now_ns();
	const unsigned char *data;
	size_t len;
	char cmd;

	if (lg_flush(c) < 0)
		return -1;
	if (!reply)
		return 'c';
	do {
		if (lg_read(c, &cmd, &data, &len) < 0)
			return -1;
	} while (cmd == SMFIR_PROGRESS);
	lg_hist_add(h, lg_now_ns() - t0);
	switch (cmd) {
	case SMFIR_CONTINUE:
	case SMFIR_SKIP:
		return 'c';
	case SMFIR_ACCEPT:
		return 'a';
	case SMFIR_REJECT:
	case SMFIR_TEMPFAIL:
	case SMFIR_REPLYCODE:
	case SMFIR_DISCARD:
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL:
		return 'r';
	default:
		return -1;
	}
}

/* --- Sessions ----------------------------------------------------------- */

static int lg_open(struct lg_conn *c, struct lg_hist *h)
{
	struct timeval tv = { LG_TIMEOUT_S, 0 };
	uint32_t neg[3] = { htonl(SMFI_PROT_VERSION), htonl(LG_ACTIONS),
		htonl(LG_STEPS) };
	uint64_t t0 = lg_now_ns();
	const unsigned char *data;
	size_t len;
	char cmd;

	c->fd = socket(lg_peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	c->in_len = c->in_off = c->out_len = 0;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&lg_peer, lg_peer_len) < 0)
		return -1;
	if (lg_put(c, SMFIC_OPTNEG, neg, sizeof(neg)) < 0 || lg_flush(c) < 0 ||
	    lg_read(c, &cmd, &data, &len) < 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || len < 12)
		return -1;
	memcpy(&c->steps, data + 8, 4);
	c->steps = ntohl(c->steps);
	lg_hist_add(h, lg_now_ns() - t0);
	return 0;
}

static bool lg_sends(const struct lg_conn *c, uint32_t no)
{
	return (c->steps & no) == 0;
}

static bool lg_answers(const struct lg_conn *c, uint32_t nr)
{
	return (c->steps & nr) == 0;
}

static int lg_connect(struct lg_conn *c, struct lg_worker *w)
{
	char addr[INET6_ADDRSTRLEN], conn[128], client[INET6_ADDRSTRLEN + 16];
	const char *macros[] = { "j", "mx.bench.test", "{daemon_name}",
		"loadgen", "v", "Postfix 3", "_", client };
	uint16_t port = htons(25);
	size_t len;

	if (!lg_sends(c, SMFIP_NOCONNECT))
		return 'c';
	lg_address(w, addr, sizeof(addr));
	snprintf(client, sizeof(client), "unknown [%s]", addr);
	memcpy(conn, "unknown", 8);
	len = 8;
	conn[len++] = lg_opt.ipv6 ? SMFIA_INET6 : SMFIA_INET;
	memcpy(conn + len, &port, 2);
	len += 2;
	memcpy(conn + len, addr, strlen(addr) + 1);
	len += strlen(addr) + 1;
	if (lg_put_macros(c, SMFIC_CONNECT, macros, 8) < 0 ||
	    lg_put(c, SMFIC_CONNECT, conn, len) < 0)
		return -1;
	return lg_exchange(c, lg_answers(c, SMFIP_NR_CONN),
	    &w->hist[LG_CONNECT]);
}

static int lg_command(struct lg_conn *c, struct lg_hist *h, char cmd,
    const char *arg, uint32_t no, uint32_t nr)
{
	if (!lg_sends(c, no))
		return 'c';
	if (lg_put(c, cmd, arg, strlen(arg) + 1) < 0)
		return -1;
	return lg_exchange(c, lg_answers(c, nr), h);
}

static int lg_rcpt(struct lg_conn *c, struct lg_worker *w, bool rejected)
{
	const char *accepted[] = { "{rcpt_mailer}", "local", "{rcpt_host}", "" };
	const char *unknown[] = { "{rcpt_mailer}", "error", "{rcpt_host}",
		"5.1.1" };
	int r;

	if (!lg_sends(c, SMFIP_NORCPT))
		return 'c';
	if (lg_put_macros(c, SMFIC_RCPT, rejected ? unknown : accepted, 4) < 0)
		return -1;
	r = lg_command(c, &w->hist[rejected ? LG_RCPT_REJ : LG_RCPT],
	    SMFIC_RCPT, rejected ? "<nobody@bench.test>" : "<user@bench.test>",
	    SMFIP_NORCPT, SMFIP_NR_RCPT);
	if (r == 'r')
		(*(rejected ? &w->rej_refused : &w->rcpt_refused))++;
	return r;
}

/* One transaction; the session's end, or LG_COMPLETED to go on. */
static int lg_transaction(struct lg_conn *c, struct lg_worker *w)
{
	int r = lg_command(c, &w->hist[LG_MAIL], SMFIC_MAIL,
	    "<sender@bench.test>", SMFIP_NOMAIL, SMFIP_NR_MAIL);

	if (r != 'c')
		return r == 'r' ? LG_REFUSED_MAIL : r < 0 ? LG_ERROR : -1;
	for (unsigned i = 0; i < lg_opt.rcpts + lg_opt.rejected; i++) {
		r = lg_rcpt(c, w, i >= lg_opt.rcpts);
		if (r < 0)
			return LG_ERROR;
		if (r == 'a')
			return -1;
	}
	if (lg_put(c, SMFIC_ABORT, NULL, 0) < 0 || lg_flush(c) < 0)
		return LG_ERROR;
	return LG_COMPLETED;
}

/* The session's steps after OPTNEG: how it ended, -1 once accepted. */
static int lg_steps(struct lg_conn *c, struct lg_worker *w, bool *in_mail)
{
	int r = lg_connect(c, w);

	if (r != 'c')
		return r == 'r' ? LG_REFUSED_CONNECT : r < 0 ? LG_ERROR : -1;
	for (unsigned i = 0; i < lg_opt.helos; i++) {
		r = lg_command(c, &w->hist[LG_HELO], SMFIC_HELO,
		    "client.bench.test", SMFIP_NOHELO, SMFIP_NR_HELO);
		if (r != 'c')
			return r == 'r' ? LG_REFUSED_HELO : r < 0 ? LG_ERROR : -1;
	}
	for (unsigned i = 0; i < lg_opt.unknown; i++) {
		r = lg_command(c, &w->hist[LG_UNKNOWN], SMFIC_UNKNOWN,
		    "XYZZY", SMFIP_NOUNKNOWN, SMFIP_NR_UNKN);
		if (r != 'c')
			return r == 'r' ? LG_REFUSED_UNKNOWN :
			    r < 0 ? LG_ERROR : -1;
	}
	for (unsigned i = 0; i < lg_opt.transactions; i++) {
		*in_mail = true;
		r = lg_transaction(c, w);
		if (r != LG_COMPLETED)
			return r;
		*in_mail = false;
	}
	return LG_COMPLETED;
}

static void lg_session(struct lg_worker *w)
{
	struct lg_conn c;
	uint64_t t0 = lg_now_ns();
	bool in_mail = false;
	int end;

	if (lg_open(&c, &w->hist[LG_OPEN]) < 0) {
		end = LG_ERROR;
	} else {
		end = lg_steps(&c, w, &in_mail);
		if (end < 0)
			end = LG_COMPLETED;
		if (end != LG_ERROR) {
			if (in_mail && lg_put(&c, SMFIC_ABORT, NULL, 0) < 0)
				end = LG_ERROR;
			if (lg_put(&c, SMFIC_QUIT, NULL, 0) < 0 ||
			    lg_flush(&c) < 0)
				end = LG_ERROR;
		}
	}
	if (c.fd >= 0)
		close(c.fd);
	w->ends[end]++;
	if (end != LG_ERROR)
		lg_hist_add(&w->hist[LG_SESSION], lg_now_ns() - t0);
	else
		usleep(1000);	/* a refused connect must not spin */
}

static void *lg_work(void *arg)
{
	struct lg_worker *w = arg;

	/* Each runs at least one session, however late it starts. */
	do {
		if (lg_opt.total > 0 &&
		    atomic_fetch_add(&lg_started, 1) >= lg_opt.total)
			break;
		lg_session(w);
	} while (!atomic_load(&lg_stop));
	w->finished = lg_now();
	return NULL;
}

/* --- Report ------------------------------------------------------------- */

static void lg_report(struct lg_worker *workers, double start)
{
	static struct lg_hist all[LG_STAGES];
	uint64_t ends[LG_ENDS] = { 0 }, sessions = 0, rcpt = 0, rej = 0;
	double end = start;

	for (unsigned i = 0; i < lg_opt.concurrency; i++) {
		struct lg_worker *w = &workers[i];

		for (int e = 0; e < LG_ENDS; e++)
			ends[e] += w->ends[e];
		rcpt += w->rcpt_refused;
		rej += w->rej_refused;
		if (w->finished > end)
			end = w->finished;
		for (int s = 0; s < LG_STAGES; s++) {
			all[s].n += w->hist[s].n;
			if (w->hist[s].max_ns > all[s].max_ns)
				all[s].max_ns = w->hist[s].max_ns;
			for (unsigned b = 0; b < LG_BUCKETS; b++)
				all[s].bucket[b] += w->hist[s].bucket[b];
		}
	}
	for (int e = 0; e < LG_ENDS; e++)
		sessions += ends[e];
	printf("{\"concurrency\":%u,\"pool\":%llu,\"family\":%d,"
	    "\"sessions\":%llu,\"seconds\":%.3f,\"sessions_per_s\":%.1f",
	    lg_opt.concurrency, (unsigned long long)lg_opt.pool,
	    lg_opt.ipv6 ? 6 : 4, (unsigned long long)sessions, end - start,
	    end > start ? (double)(sessions - ends[LG_ERROR]) / (end - start) :
	    0.0);
	for (int e = 0; e < LG_ENDS; e++)
		printf(",\"%s\":%llu", lg_end_names[e],
		    (unsigned long long)ends[e]);
	printf(",\"rcpt_refused\":%llu,\"rcpt_rejected_refused\":%llu,"
	    "\"stages\":{", (unsigned long long)rcpt, (unsigned long long)rej);
	for (int s = 0, first = 1; s < LG_STAGES; s++) {
		if (all[s].n == 0)
			continue;
		printf("%s\"%s\":{\"n\":%llu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
		    "\"max_us\":%.1f}", first ? "" : ",", lg_stage_names[s],
		    (unsigned long long)all[s].n,
		    lg_hist_quantile(&all[s], 0.50) / 1e3,
		    lg_hist_quantile(&all[s], 0.99) / 1e3,
		    (double)all[s].max_ns / 1e3);
		first = 0;
	}
	printf("}}\n");
}

/* --- Options ------------------------------------------------------------ */

static void lg_usage(void)
{
	fprintf(stderr, "usage: loadgen -s socket [-c sessions] "
	    "[-d seconds | -n total] [-a pool] [-6] [-b first] [-R] "
	    "[-S seed]\n               [-H helos] [-u unknown] "
	    "[-t transactions] [-r recipients] [-x rejected]\n");
	exit(2);
}

static unsigned long long lg_number(const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max || *s == '-')
		lg_usage();
	return v;
}

static int lg_resolve(const char *spec)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&lg_peer;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char port[16];
	const char *at;

	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		spec = strchr(spec, ':') + 1;
		at = strchr(spec, '@');
		if (at == NULL || (size_t)(at - spec) >= sizeof(port))
			return -1;
		memcpy(port, spec, (size_t)(at - spec));
		port[at - spec] = '\0';
		if (getaddrinfo(at + 1, port, &hints, &ai) != 0)
			return -1;
		memcpy(&lg_peer, ai->ai_addr, ai->ai_addrlen);
		lg_peer_len = ai->ai_addrlen;
		freeaddrinfo(ai);
		return 0;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		spec += 5;
	else if (strncmp(spec, "local:", 6) == 0)
		spec += 6;
	if (strlen(spec) >= sizeof(un->sun_path))
		return -1;
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, spec);
	lg_peer_len = sizeof(*un);
	return 0;
}

static void lg_options(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "6a:b:c:d:H:n:r:RS:s:t:u:x:")) != -1) {
		switch (ch) {
		case '6': lg_opt.ipv6 = true; break;
		case 'a': lg_opt.pool = lg_number(optarg, 1ull << 32); break;
		case 'b': lg_opt.first = optarg; break;
		case 'c': lg_opt.concurrency = (unsigned)lg_number(optarg, 4096);
			break;
		case 'd': lg_opt.seconds = atof(optarg); break;
		case 'H': lg_opt.helos = (unsigned)lg_number(optarg, 1000); break;
		case 'n': lg_opt.total = lg_number(optarg, 1ull << 40); break;
		case 'r': lg_opt.rcpts = (unsigned)lg_number(optarg, 1000); break;
		case 'R': lg_opt.random = true; break;
		case 'S': lg_opt.seed = lg_number(optarg, UINT64_MAX); break;
		case 's': lg_opt.socket = optarg; break;
		case 't': lg_opt.transactions = (unsigned)lg_number(optarg, 1000);
			break;
		case 'u': lg_opt.unknown = (unsigned)lg_number(optarg, 1000);
			break;
		case 'x': lg_opt.rejected = (unsigned)lg_number(optarg, 1000);
			break;
		default: lg_usage();
		}
	}
	if (optind != argc || lg_opt.socket == NULL || lg_opt.concurrency == 0 ||
	    lg_opt.pool == 0 || lg_opt.seconds <= 0)
		lg_usage();
	if (lg_resolve(lg_opt.socket) < 0) {
		fprintf(stderr, "loadgen: bad socket %s\n", lg_opt.socket);
		exit(2);
	}
	if (lg_opt.first == NULL)
		lg_opt.first = lg_opt.ipv6 ? "2001:db8::" : "10.0.0.0";
	if (inet_pton(lg_opt.ipv6 ? AF_INET6 : AF_INET, lg_opt.first,
	    lg_base) != 1) {
		fprintf(stderr, "loadgen: bad first address %s\n", lg_opt.first);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct lg_worker *workers;
	struct timespec tick = { 0, 10000000L };
	double start;
	uint64_t done = 0;

	lg_options(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	workers = calloc(lg_opt.concurrency, sizeof(*workers));
	if (workers == NULL) {
		fprintf(stderr, "loadgen: out of memory\n");
		return 1;
	}
	start = lg_now();
	for (unsigned i = 0; i < lg_opt.concurrency; i++) {
		workers[i].id = i;
		workers[i].rng = (lg_opt.seed + i) * 0x9e3779b97f4a7c15ull | 1;
		if (pthread_create(&workers[i].thread, NULL, lg_work,
		    &workers[i]) != 0) {
			fprintf(stderr, "loadgen: cannot start a thread\n");
			return 1;
		}
	}
	if (lg_opt.total == 0) {
		while (lg_now() - start < lg_opt.seconds)
			nanosleep(&tick, NULL);
		atomic_store(&lg_stop, true);
	}
	for (unsigned i = 0; i < lg_opt.concurrency; i++)
		pthread_join(workers[i].thread, NULL);
	lg_report(workers, start);
	for (unsigned i = 0; i < lg_opt.concurrency; i++)
		for (int e = 0; e < LG_ENDS; e++)
			done += e == LG_ERROR ? 0 : workers[i].ends[e];
	return done > 0 ? 0 : 1;
}
