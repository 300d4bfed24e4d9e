/*
 * config_redis.c - the redis group of bulwark.conf: where a mail array
 * keeps its shared state.  See bulwark.conf(5).
 *
 * config_redis_defaults() fills the defaults, config_redis_free() frees
 * the strings, config_set_redis() reads the group (config_loader.h);
 * config_redis_equal() and config_redis_copy() let a reload keep the
 * settings the running store was opened with.
 * Addresses are checked with the same parser the connection pool uses, so
 * a configuration that loads is one the pool can connect with.
 *
 * cluster (seed nodes of a Redis Cluster; an empty list: none) excludes
 * server, sentinels (unless empty) and a database other than 0 (a cluster
 * has database 0 only): a group with both is an error at the line of the
 * later one.
 *
 * redis.password_file names a file holding the password, so that the
 * configuration can be readable by more users than the secret.  It is
 * read whenever the configuration is (at start, by bulwark -t and at
 * each reload), after the whole group, and is exclusive with
 * redis.password.  The file must be a regular file not readable by every
 * user; one line, its line break dropped.  Errors name the file and what
 * is wrong with it, never its content.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_loader.h"
#include "redis_pool.h"
#include "xalloc.h"

#define REDIS_DATABASE_MAX	1023
#define REDIS_TIMEOUT_MS_MAX	60000
#define REDIS_POOL_MAX		256
#define REDIS_SENTINELS_MAX	16
#define REDIS_SEEDS_MAX		64
#define REDIS_TEXT_MAX		256
#define REDIS_PREFIX_MAX	200

static const struct name_value config_redis_on_errors[] = {
	{ "local", REDIS_ON_ERROR_LOCAL }, { "accept", REDIS_ON_ERROR_ACCEPT },
	{ "tempfail", REDIS_ON_ERROR_TEMPFAIL }, { NULL, 0 }
};

void config_redis_defaults(struct redis_config *rc)
{
	rc->server = xstrdup("127.0.0.1:6379");
	rc->sentinels = NULL;
	rc->sentinel_count = 0;
	rc->cluster = NULL;
	rc->cluster_count = 0;
	rc->master_name = xstrdup("mymaster");
	rc->username = xstrdup("");
	rc->password = xstrdup("");
	rc->password_file = xstrdup("");
	rc->database = 0;
	rc->key_prefix = xstrdup("bulwark:");
	rc->timeout_ms = 100;
	rc->pool_size = 8;
	rc->on_error = REDIS_ON_ERROR_LOCAL;
}

void config_redis_free(struct redis_config *rc)
{
	free(rc->server);
	loader_free_strings(rc->sentinels, rc->sentinel_count);
	loader_free_strings(rc->cluster, rc->cluster_count);
	free(rc->master_name);
	free(rc->username);
	free(rc->password);
	free(rc->password_file);
	free(rc->key_prefix);
}

static bool config_redis_lists_equal(char *const *a, size_t na,
    char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return false;
	}
	return true;
}

static char **config_redis_list_copy(char *const *from, size_t count)
{
	char **to = count > 0 ? xcalloc(count, sizeof(*to)) : NULL;

	for (size_t i = 0; i < count; i++)
		to[i] = xstrdup(from[i]);
	return to;
}

bool config_redis_equal(const struct redis_config *a,
    const struct redis_config *b)
{
	return config_redis_lists_equal(a->sentinels, a->sentinel_count,
	    b->sentinels, b->sentinel_count) &&
	    config_redis_lists_equal(a->cluster, a->cluster_count,
	    b->cluster, b->cluster_count) &&
	    strcmp(a->server, b->server) == 0 &&
	    strcmp(a->master_name, b->master_name) == 0 &&
	    strcmp(a->username, b->username) == 0 &&
	    strcmp(a->password, b->password) == 0 &&
	    strcmp(a->password_file, b->password_file) == 0 &&
	    strcmp(a->key_prefix, b->key_prefix) == 0 &&
	    a->database == b->database && a->timeout_ms == b->timeout_ms &&
	    a->pool_size == b->pool_size && a->on_error == b->on_error;
}

void config_redis_copy(struct redis_config *to,
    const struct redis_config *from)
{
	config_redis_free(to);
	*to = *from;
	to->server = xstrdup(from->server);
	to->sentinels = config_redis_list_copy(from->sentinels,
	    from->sentinel_count);
	to->cluster = config_redis_list_copy(from->cluster, from->cluster_count);
	to->master_name = xstrdup(from->master_name);
	to->username = xstrdup(from->username);
	to->password = xstrdup(from->password);
	to->password_file = xstrdup(from->password_file);
	to->key_prefix = xstrdup(from->key_prefix);
}

/* Printable ASCII without blanks, at most REDIS_TEXT_MAX long. */
static bool config_redis_word(const char *text, bool empty_ok)
{
	size_t len = strlen(text);

	if ((len == 0 && !empty_ok) || len > REDIS_TEXT_MAX)
		return false;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~')
			return false;
	}
	return true;
}

static int set_word(struct loader *ld, const config_setting_t *s,
    bool empty_ok, char **field)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	if (!config_redis_word(text, empty_ok))
		return loader_fail_key(ld, s, "expected %sprintable characters "
		    "without blanks, at most %d", empty_ok ? "\"\" or " : "",
		    REDIS_TEXT_MAX);
	loader_replace_string(field, text);
	return 0;
}

static int set_server(struct loader *ld, const config_setting_t *s)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	if (!redis_endpoint_valid(text, true))
		return loader_fail_key(ld, s, "\"%s\" is not host:port, "
		    "[address]:port or unix:/path", text);
	loader_replace_string(&ld->cfg->redis.server, text);
	return 0;
}

/* A list of 1..max "host:port" into *list and *count. */
static int set_endpoints(struct loader *ld, const config_setting_t *s,
    int max, const char *what, char ***list, size_t *count)
{
	int n = loader_string_list_length(ld, s);

	if (n < 0)
		return -1;
	if (n > max)
		return loader_fail_key(ld, s, "at most %d %s", max, what);
	for (int i = 0; i < n; i++) {
		if (!redis_endpoint_valid(loader_list_string(s, i), false))
			return loader_fail_key(ld, config_setting_get_elem(s,
			    (unsigned)i), "\"%s\" is not host:port",
			    loader_list_string(s, i));
	}
	loader_free_strings(*list, *count);
	*list = xcalloc((size_t)n + 1, sizeof(**list));
	for (int i = 0; i < n; i++)
		(*list)[i] = xstrdup(loader_list_string(s, i));
	*count = (size_t)n;
	return 0;
}

static int set_sentinels(struct loader *ld, const config_setting_t *s)
{
	struct redis_config *rc = &ld->cfg->redis;

	return set_endpoints(ld, s, REDIS_SENTINELS_MAX, "sentinels",
	    &rc->sentinels, &rc->sentinel_count);
}

static int set_cluster(struct loader *ld, const config_setting_t *s)
{
	struct redis_config *rc = &ld->cfg->redis;

	return set_endpoints(ld, s, REDIS_SEEDS_MAX, "seed nodes",
	    &rc->cluster, &rc->cluster_count);
}

static int set_master_name(struct loader *ld, const config_setting_t *s)
{
	return set_word(ld, s, false, &ld->cfg->redis.master_name);
}

static int set_username(struct loader *ld, const config_setting_t *s)
{
	return set_word(ld, s, true, &ld->cfg->redis.username);
}

static int set_password(struct loader *ld, const config_setting_t *s)
{
	return set_word(ld, s, true, &ld->cfg->redis.password);
}

static int set_password_file(struct loader *ld, const config_setting_t *s)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	if (text[0] != '\0' && text[0] != '/')
		return loader_fail_key(ld, s, "expected \"\" or an absolute path");
	loader_replace_string(&ld->cfg->redis.password_file, text);
	return 0;
}

/* Open path for reading: a regular file, not a link, not world-readable. */
static int password_file_open(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
	} else if (st.st_mode & S_IROTH) {
		snprintf(why, whylen, "readable by every user (chmod o-r)");
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/*
 * The password in the file, one line of REDIS_TEXT_MAX printable
 * characters at most, into out (REDIS_TEXT_MAX + 2 bytes).
 */
static int password_file_read(const char *path, char *out, size_t outlen,
    char *why, size_t whylen)
{
	int fd = password_file_open(path, why, whylen);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	out[n] = '\0';
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	if (!config_redis_word(out, false) || (size_t)n != strlen(out)) {
		snprintf(why, whylen, "expected one line of printable characters "
		    "without blanks, at most %d", REDIS_TEXT_MAX);
		return -1;
	}
	return 0;
}

/* After the group: redis.password_file, if set, gives the password. */
static int config_redis_password(struct loader *ld, const config_setting_t *s)
{
	struct redis_config *rc = &ld->cfg->redis;
	const config_setting_t *key = config_setting_get_member(s,
	    "password_file");
	char password[REDIS_TEXT_MAX + 2], why[256];
	int rc_read;

	if (rc->password_file[0] == '\0')
		return 0;
	if (rc->password[0] != '\0')
		return loader_fail_key(ld, key, "redis.password is set too: "
		    "use one or the other");
	rc_read = password_file_read(rc->password_file, password,
	    sizeof(password), why, sizeof(why));
	if (rc_read == 0)
		loader_replace_string(&rc->password, password);
	explicit_bzero(password, sizeof(password));
	if (rc_read < 0)
		return loader_fail_key(ld, key, "%s: %s", rc->password_file, why);
	return 0;
}

static int set_key_prefix(struct loader *ld, const config_setting_t *s)
{
	const char *text = loader_get_string(ld, s);

	if (text == NULL)
		return -1;
	/* A brace would change the hash tag that keeps a host on one slot. */
	if (!config_redis_word(text, true) || strpbrk(text, "{}") != NULL ||
	    strlen(text) > REDIS_PREFIX_MAX)
		return loader_fail_key(ld, s, "expected printable characters "
		    "without blanks or braces, at most %d", REDIS_PREFIX_MAX);
	loader_replace_string(&ld->cfg->redis.key_prefix, text);
	return 0;
}

static int set_database(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 0, REDIS_DATABASE_MAX,
	    &ld->cfg->redis.database);
}

static int set_timeout_ms(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, REDIS_TIMEOUT_MS_MAX,
	    &ld->cfg->redis.timeout_ms);
}

static int set_pool_size(struct loader *ld, const config_setting_t *s)
{
	return loader_get_uint(ld, s, 1, REDIS_POOL_MAX,
	    &ld->cfg->redis.pool_size);
}

static int set_on_error(struct loader *ld, const config_setting_t *s)
{
	int value;

	if (loader_get_enum(ld, s, config_redis_on_errors, &value) < 0)
		return -1;
	ld->cfg->redis.on_error = (enum redis_on_error)value;
	return 0;
}

static const struct config_key config_redis_keys[] = {
	{ "server", set_server },
	{ "sentinels", set_sentinels },
	{ "cluster", set_cluster },
	{ "master_name", set_master_name },
	{ "username", set_username },
	{ "password", set_password },
	{ "password_file", set_password_file },
	{ "database", set_database },
	{ "key_prefix", set_key_prefix },
	{ "timeout_ms", set_timeout_ms },
	{ "pool_size", set_pool_size },
	{ "on_error", set_on_error },
	{ NULL, NULL }
};

/* With cluster, the later of it and a key it excludes is the error. */
static int config_redis_exclusive(struct loader *ld,
    const config_setting_t *group)
{
	static const char *const excluded[] = { "server", "sentinels",
	    "database", NULL };
	const config_setting_t *cluster = config_setting_get_member(group,
	    "cluster");

	if (cluster == NULL || ld->cfg->redis.cluster_count == 0)
		return 0;
	for (const char *const *k = excluded; *k != NULL; k++) {
		const config_setting_t *other = config_setting_get_member(group,
		    *k);

		if (other == NULL || (strcmp(*k, "sentinels") == 0 &&
		    ld->cfg->redis.sentinel_count == 0) ||
		    (strcmp(*k, "database") == 0 && ld->cfg->redis.database == 0))
			continue;
		if (config_setting_index(other) > config_setting_index(cluster))
			return loader_fail_key(ld, other, "not with redis.cluster");
		return loader_fail_key(ld, cluster, "not with redis.%s%s", *k,
		    strcmp(*k, "database") == 0 ? " other than 0" : "");
	}
	return 0;
}

int config_set_redis(struct loader *ld, const config_setting_t *s)
{
	if (loader_walk_group(ld, s, config_redis_keys) < 0)
		return -1;
	if (config_redis_exclusive(ld, s) < 0)
		return -1;
	return config_redis_password(ld, s);
}
