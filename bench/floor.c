/*
 * floor.c - the floor: a libmilter filter that does nothing.
 *
 * usage: floor -p socket [-r redis-socket] [-P pool]
 *
 * Listens on socket (libmilter syntax, e.g. "unix:/path") and lets every
 * command through.  It negotiates the protocol steps bulwark does: the
 * recipients the MTA rejected are shown to it (SMFIP_RCPT_REJ), headers,
 * end of headers and body are skipped, and the same macros are asked
 * for per stage, so the MTA or load generator sends both filters the same
 * packets.  What bulwark costs above this is bulwark's own.
 *
 * With -r, it is the Redis floor: one Redis round trip (INCR of a key per
 * client address, on the unix socket redis-socket) for each event bulwark
 * counts, a CONNECT and a rejected recipient, over a pool of -P
 * connections (default 8) shared by libmilter's threads.  A Redis error
 * is printed and the command still let through.
 *
 * Runs in the foreground until killed.  Exit status 1 when it cannot
 * start, 2 on bad usage.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <libmilter/mfapi.h>

#define FLOOR_STEPS (SMFIP_RCPT_REJ | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY)
#define FLOOR_ADDR_MAX 64

static const char *floor_redis_path;
static redisContext **floor_pool;
static unsigned floor_pool_size = 8, floor_pool_free;
static pthread_mutex_t floor_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t floor_pool_cond = PTHREAD_COND_INITIALIZER;

static redisContext *floor_take(void)
{
	redisContext *rc;

	pthread_mutex_lock(&floor_pool_lock);
	while (floor_pool_free == 0)
		pthread_cond_wait(&floor_pool_cond, &floor_pool_lock);
	rc = floor_pool[--floor_pool_free];
	pthread_mutex_unlock(&floor_pool_lock);
	return rc;
}

static void floor_give(redisContext *rc)
{
	pthread_mutex_lock(&floor_pool_lock);
	floor_pool[floor_pool_free++] = rc;
	pthread_cond_signal(&floor_pool_cond);
	pthread_mutex_unlock(&floor_pool_lock);
}

/* The one round trip of a counted event. */
static void floor_count(const char *what, const char *addr)
{
	redisContext *rc = floor_take();
	redisReply *reply = redisCommand(rc, "INCR floor:%s:%s", what, addr);

	if (reply == NULL)
		fprintf(stderr, "floor: redis: %s\n", rc->errstr);
	else
		freeReplyObject(reply);
	floor_give(rc);
}

static sfsistat floor_negotiate(SMFICTX *ctx, unsigned long actions,
    unsigned long steps, unsigned long f2, unsigned long f3,
    unsigned long *want_actions, unsigned long *want_steps,
    unsigned long *want_f2, unsigned long *want_f3)
{
	*want_actions = actions & SMFIF_SETSYMLIST;
	*want_steps = steps & FLOOR_STEPS;
	*want_f2 = 0;
	*want_f3 = 0;
	if (*want_actions & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_HELO, "{tls_version}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "{auth_authen}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "{rcpt_mailer} {rcpt_host}");
	}
	return SMFIS_CONTINUE;
}

static sfsistat floor_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	char *addr;

	if (floor_redis_path == NULL || sa == NULL)
		return SMFIS_CONTINUE;
	addr = malloc(FLOOR_ADDR_MAX);
	if (addr == NULL)
		return SMFIS_CONTINUE;
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    addr, FLOOR_ADDR_MAX);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
		    addr, FLOOR_ADDR_MAX);
	smfi_setpriv(ctx, addr);
	floor_count("c", addr);
	return SMFIS_CONTINUE;
}

static sfsistat floor_pass(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat floor_argv(SMFICTX *ctx, char **argv)
{
	return SMFIS_CONTINUE;
}

static sfsistat floor_helo(SMFICTX *ctx, char *name)
{
	return SMFIS_CONTINUE;
}

static sfsistat floor_unknown(SMFICTX *ctx, const char *command)
{
	return SMFIS_CONTINUE;
}

static sfsistat floor_rcpt(SMFICTX *ctx, char **argv)
{
	const char *addr = smfi_getpriv(ctx);
	const char *mailer;

	if (addr == NULL)
		return SMFIS_CONTINUE;
	mailer = smfi_getsymval(ctx, "{rcpt_mailer}");
	if (mailer != NULL && strcmp(mailer, "error") == 0)
		floor_count("r", addr);
	return SMFIS_CONTINUE;
}

static sfsistat floor_close(SMFICTX *ctx)
{
	free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc floor_desc = {
	.xxfi_name = "floor",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_NONE,
	.xxfi_connect = floor_connect,
	.xxfi_helo = floor_helo,
	.xxfi_envfrom = floor_argv,
	.xxfi_envrcpt = floor_rcpt,
	.xxfi_eom = floor_pass,
	.xxfi_abort = floor_pass,
	.xxfi_close = floor_close,
	.xxfi_unknown = floor_unknown,
	.xxfi_data = floor_pass,
	.xxfi_negotiate = floor_negotiate,
};

static int floor_redis_open(void)
{
	floor_pool = calloc(floor_pool_size, sizeof(*floor_pool));
	if (floor_pool == NULL)
		return -1;
	for (unsigned i = 0; i < floor_pool_size; i++) {
		redisContext *rc = redisConnectUnix(floor_redis_path);

		if (rc == NULL || rc->err) {
			fprintf(stderr, "floor: redis %s: %s\n", floor_redis_path,
			    rc != NULL ? rc->errstr : "out of memory");
			return -1;
		}
		floor_pool[floor_pool_free++] = rc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *socket = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "p:P:r:")) != -1) {
		switch (ch) {
		case 'p': socket = optarg; break;
		case 'P': floor_pool_size = (unsigned)atoi(optarg); break;
		case 'r': floor_redis_path = optarg; break;
		default: socket = NULL; optind = argc + 1; break;
		}
	}
	if (socket == NULL || optind != argc || floor_pool_size == 0) {
		fprintf(stderr, "usage: floor -p socket [-r redis-socket] "
		    "[-P pool]\n");
		return 2;
	}
	if (floor_redis_path != NULL && floor_redis_open() < 0)
		return 1;
	if (smfi_setconn((char *)socket) != MI_SUCCESS ||
	    smfi_register(floor_desc) != MI_SUCCESS ||
	    smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "floor: cannot listen on %s\n", socket);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
