/*
 * redis_servers.h - throwaway redis-server and sentinel processes for the
 * suites that test the connection pool against real servers.
 *
 * rs_root_make() makes the directory every server's own directory goes
 * in, rs_root_remove() removes it.  rs_start() starts redis-server in a
 * new directory, on a unix socket (tcp false) or on a TCP port of
 * 127.0.0.1 (and ::1 when the host has it); rs_sentinel_start() starts a
 * sentinel watching master "bw" at master_port.  A TCP port is one the
 * kernel handed out a moment before; when another process took it
 * meanwhile, the server fails to start and another port is tried.
 * Servers die with the process that started them (PR_SET_PDEATHSIG) even
 * when a test fails; rs_stop() stops one and removes its directory.
 * rs_command() sends one command on a fresh connection (NULL on failure);
 * rs_until() polls a condition for up to ms.
 *
 * rs_cluster_start() starts RS_CLUSTER_NODES servers with cluster mode on
 * (each with a bus port of its own, also handed out by the kernel) and
 * joins them with redis-cli --cluster create, one replica per primary;
 * it returns once every node says cluster_state:ok, sees every other and
 * every replica is in sync.  rs_cluster_run() runs redis-cli (--cluster
 * subcommands) and waits for it; rs_cluster_slot_owner() is the index of
 * the node serving a slot as primary, as node from sees it;
 * rs_cluster_id() copies a node's id.
 *
 * rs_main() is the main() of a program whose tests start servers: it
 * runs suite (SIGPIPE ignored, the log quiet) between rs_root_make() and
 * rs_root_remove() and returns the program's exit status.
 *
 * Header only (static inline), like test_files.h.
 */
#ifndef BULWARK_REDIS_SERVERS_H
#define BULWARK_REDIS_SERVERS_H

#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <hiredis/hiredis.h>

#include "log.h"

#define RS_START_TRIES	8

struct rs_server {
	pid_t pid;
	char dir[96];
	char sock[128];			/* unix socket, or "" */
	int port;			/* TCP port, or 0 */
};

static char rs_root[64];

static inline int64_t rs_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void rs_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static inline int rs_remove_one(const char *path, const struct stat *st,
    int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static inline int rs_root_make(void)
{
	snprintf(rs_root, sizeof(rs_root), "/tmp/bulwark-pool.XXXXXX");
	return mkdtemp(rs_root) != NULL ? 0 : -1;
}

static inline void rs_root_remove(void)
{
	nftw(rs_root, rs_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static inline pid_t rs_spawn(char *const argv[], const char *logfile)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if ((fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	execvp(argv[0], argv);
	_exit(127);
}

static inline redisReply *rs_command(const struct rs_server *srv,
    const char *fmt, ...)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = srv->port == 0 ?
	    redisConnectUnixWithTimeout(srv->sock, tv) :
	    redisConnectWithTimeout("127.0.0.1", srv->port, tv);
	redisReply *reply = NULL;
	va_list ap;

	if (c != NULL && c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK) {
		va_start(ap, fmt);
		reply = redisvCommand(c, fmt, ap);
		va_end(ap);
	}
	if (c != NULL)
		redisFree(c);
	return reply;
}

/* Up and answering; -1 when the process died (its port was taken). */
static inline int rs_wait(const struct rs_server *srv)
{
	int64_t until = rs_ms_now() + 5000;

	while (rs_ms_now() < until) {
		redisReply *reply = rs_command(srv, "PING");

		if (reply != NULL) {
			freeReplyObject(reply);
			return 0;
		}
		if (waitpid(srv->pid, NULL, WNOHANG) == srv->pid)
			return -1;
		rs_sleep_ms(10);
	}
	return -1;
}

static inline int rs_kernel_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static inline void rs_kill(struct rs_server *srv)
{
	int64_t until = rs_ms_now() + 3000;

	if (srv->pid <= 0)
		return;
	kill(srv->pid, SIGTERM);
	kill(srv->pid, SIGCONT);
	while (waitpid(srv->pid, NULL, WNOHANG) == 0) {
		if (rs_ms_now() > until) {
			kill(srv->pid, SIGKILL);
			waitpid(srv->pid, NULL, 0);
			break;
		}
		rs_sleep_ms(5);
	}
	srv->pid = 0;
}

static inline void rs_stop(struct rs_server *srv)
{
	rs_kill(srv);
	nftw(srv->dir, rs_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static inline int rs_mkdir(struct rs_server *srv)
{
	memset(srv, 0, sizeof(*srv));
	snprintf(srv->dir, sizeof(srv->dir), "%s/srv.XXXXXX", rs_root);
	return mkdtemp(srv->dir) != NULL ? 0 : -1;
}

/* One attempt with argv (its port slot filled in); -1 when it died. */
static inline int rs_try(struct rs_server *srv, const char **argv,
    char *port, const char *log)
{
	if (srv->port != 0 && (srv->port = rs_kernel_port()) < 0)
		return -1;
	snprintf(port, 16, "%d", srv->port);
	srv->pid = rs_spawn((char *const *)argv, log);
	if (srv->pid > 0 && rs_wait(srv) == 0)
		return 0;
	rs_kill(srv);
	return -1;
}

/* redis-server with the extra arguments (NULL-terminated, or NULL). */
static inline int rs_start(struct rs_server *srv, bool tcp,
    const char *const *extra)
{
	char log[160], port[16];
	const char *argv[32] = {
		"redis-server", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--bind", "127.0.0.1", "-::1", "--port", port,
		"--dir",
	};
	int argc = 13;

	if (rs_mkdir(srv) < 0)
		return -1;
	argv[argc++] = srv->dir;
	snprintf(log, sizeof(log), "%s/redis.log", srv->dir);
	if (!tcp) {
		snprintf(srv->sock, sizeof(srv->sock), "%s/redis.sock", srv->dir);
		argv[argc++] = "--unixsocket";
		argv[argc++] = srv->sock;
	}
	while (extra != NULL && *extra != NULL && argc < 31)
		argv[argc++] = *extra++;
	srv->port = tcp ? 1 : 0;
	for (int i = 0; i < RS_START_TRIES; i++) {
		if (rs_try(srv, argv, port, log) == 0)
			return 0;
		if (!tcp)
			break;
	}
	return -1;
}

static inline int rs_sentinel_start(struct rs_server *sen, int master_port)
{
	char conf[160], log[160], port[16];
	const char *argv[] = { "redis-server", conf, "--sentinel", "--port",
	    port, NULL };
	FILE *fp;

	if (rs_mkdir(sen) < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/sentinel.conf", sen->dir);
	snprintf(log, sizeof(log), "%s/sentinel.log", sen->dir);
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "bind 127.0.0.1\ndaemonize no\ndir %s\n"
	    "sentinel monitor bw 127.0.0.1 %d 2\n"
	    "sentinel down-after-milliseconds bw 1000\n"
	    "sentinel failover-timeout bw 5000\n", sen->dir, master_port);
	fclose(fp);
	sen->port = 1;
	for (int i = 0; i < RS_START_TRIES; i++) {
		if (rs_try(sen, argv, port, log) == 0)
			return 0;
	}
	return -1;
}

/* Poll until cond(srv, arg) holds, for up to ms; return whether it did. */
static inline bool rs_until(bool (*cond)(const struct rs_server *, int),
    const struct rs_server *srv, int arg, unsigned ms)
{
	int64_t until = rs_ms_now() + ms;

	while (!cond(srv, arg)) {
		if (rs_ms_now() > until)
			return false;
		rs_sleep_ms(50);
	}
	return true;
}

#define RS_CLUSTER_NODES	6
#define RS_CLUSTER_TIMEOUT_MS	1000	/* cluster-node-timeout */

struct rs_cluster {
	struct rs_server node[RS_CLUSTER_NODES];
};

static inline int rs_cluster_node_start(struct rs_server *srv)
{
	char log[160], port[16], bus[16], timeout[16], conf[160];
	const char *argv[] = { "redis-server", "--save", "", "--appendonly",
	    "no", "--daemonize", "no", "--bind", "127.0.0.1", "--port", port,
	    "--dir", NULL, "--cluster-enabled", "yes", "--cluster-config-file",
	    "nodes.conf", "--cluster-node-timeout", timeout, "--cluster-port",
	    bus, NULL };

	if (rs_mkdir(srv) < 0)
		return -1;
	argv[12] = srv->dir;
	snprintf(log, sizeof(log), "%s/redis.log", srv->dir);
	snprintf(conf, sizeof(conf), "%s/nodes.conf", srv->dir);
	snprintf(timeout, sizeof(timeout), "%d", RS_CLUSTER_TIMEOUT_MS);
	srv->port = 1;
	for (int i = 0; i < RS_START_TRIES; i++) {
		snprintf(bus, sizeof(bus), "%d", rs_kernel_port());
		if (rs_try(srv, argv, port, log) == 0)
			return 0;
		unlink(conf);
	}
	return -1;
}

/* Run argv (redis-cli ...) with its output in dir/cli.log; its status. */
static inline int rs_cluster_run(const char *dir, char *const argv[])
{
	char log[160];
	int64_t until = rs_ms_now() + 60000;
	int status;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/cli.log", dir);
	if ((pid = rs_spawn(argv, log)) < 0)
		return -1;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (rs_ms_now() > until) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		rs_sleep_ms(20);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline bool rs_cluster_node_ok(const struct rs_server *srv, int unused)
{
	redisReply *info = rs_command(srv, "CLUSTER INFO");
	bool ok = info != NULL && info->type == REDIS_REPLY_STRING &&
	    strstr(info->str, "cluster_state:ok") != NULL &&
	    strstr(info->str, "cluster_known_nodes:6") != NULL;
	redisReply *repl;

	if (info != NULL)
		freeReplyObject(info);
	if (!ok || (repl = rs_command(srv, "INFO replication")) == NULL)
		return false;
	ok = repl->type == REDIS_REPLY_STRING &&
	    (strstr(repl->str, "role:master") != NULL ?
	    strstr(repl->str, "connected_slaves:1") != NULL :
	    strstr(repl->str, "master_link_status:up") != NULL);
	freeReplyObject(repl);
	return ok;
}

static inline int rs_cluster_start(struct rs_cluster *cl)
{
	char addrs[RS_CLUSTER_NODES][32];
	const char *argv[RS_CLUSTER_NODES + 8] = { "redis-cli", "--cluster",
	    "create" };
	int argc = 3;

	for (int i = 0; i < RS_CLUSTER_NODES; i++) {
		if (rs_cluster_node_start(&cl->node[i]) < 0)
			return -1;
		snprintf(addrs[i], sizeof(addrs[i]), "127.0.0.1:%d",
		    cl->node[i].port);
		argv[argc++] = addrs[i];
	}
	argv[argc++] = "--cluster-replicas";
	argv[argc++] = "1";
	argv[argc++] = "--cluster-yes";
	argv[argc] = NULL;
	if (rs_cluster_run(cl->node[0].dir, (char *const *)argv) != 0)
		return -1;
	for (int i = 0; i < RS_CLUSTER_NODES; i++) {
		if (!rs_until(rs_cluster_node_ok, &cl->node[i], 0, 30000))
			return -1;
	}
	return 0;
}

static inline void rs_cluster_stop(struct rs_cluster *cl)
{
	for (int i = 0; i < RS_CLUSTER_NODES; i++)
		rs_stop(&cl->node[i]);
}

/* The node index of the primary serving slot, as from sees it; -1: none. */
static inline int rs_cluster_slot_owner(const struct rs_cluster *cl,
    const struct rs_server *from, unsigned slot)
{
	redisReply *r = rs_command(from, "CLUSTER SLOTS");
	int owner = -1;

	for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    i < r->elements; i++) {
		const redisReply *range = r->element[i];

		if (range->element[0]->integer > (long long)slot ||
		    range->element[1]->integer < (long long)slot)
			continue;
		for (int n = 0; n < RS_CLUSTER_NODES; n++) {
			if (cl->node[n].port ==
			    range->element[2]->element[1]->integer)
				owner = n;
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	return owner;
}

static inline void rs_cluster_id(const struct rs_server *srv, char *id,
    size_t len)
{
	redisReply *r = rs_command(srv, "CLUSTER MYID");

	snprintf(id, len, "%s", r != NULL && r->type == REDIS_REPLY_STRING ?
	    r->str : "");
	if (r != NULL)
		freeReplyObject(r);
}

static inline int rs_main(const char *program, Suite *suite)
{
	SRunner *runner;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_ERROR);
	if (rs_root_make() < 0) {
		fprintf(stderr, "%s: cannot make a directory\n", program);
		return EXIT_FAILURE;
	}
	runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	rs_root_remove();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
