/*
 * runtime.c - see runtime.h.
 *
 * A reload builds the new configuration completely (config_load() reads
 * the exclude, blocked and recipients files too) before it is published
 * with one pointer swap in policy_set_config(), so no connection ever
 * sees half of it.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "escape.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"

#define RUNTIME_WATCH_STEP	1	/* seconds between looks */

static _Atomic int64_t runtime_mta_seen;

void runtime_init(struct runtime *rt, const char *config_path,
    struct policy *policy, struct store *store, bool foreground)
{
	struct config *cfg = policy_config(policy);

	memset(rt, 0, sizeof(*rt));
	rt->config_path = config_path;
	rt->policy = policy;
	rt->store = store;
	rt->started = (int64_t)time(NULL);
	rt->foreground = foreground;
	if (cfg->node[0] != '\0')
		snprintf(rt->node, sizeof(rt->node), "%s", cfg->node);
	else if (gethostname(rt->node, sizeof(rt->node)) < 0)
		snprintf(rt->node, sizeof(rt->node), "unknown");
	rt->node[sizeof(rt->node) - 1] = '\0';
	pthread_mutex_init(&rt->reload_lock, NULL);
	pthread_mutex_init(&rt->watch_lock, NULL);
	pthread_cond_init(&rt->watch_wake, NULL);
	rt->syslog_facility = cfg->syslog_facility;
	config_unref(cfg);
}

void runtime_destroy(struct runtime *rt)
{
	runtime_watch_stop(rt);
	pthread_cond_destroy(&rt->watch_wake);
	pthread_mutex_destroy(&rt->watch_lock);
	pthread_mutex_destroy(&rt->reload_lock);
}

void runtime_mta_connected(int64_t now)
{
	atomic_store_explicit(&runtime_mta_seen, now, memory_order_relaxed);
}

int64_t runtime_mta_last(void)
{
	return atomic_load_explicit(&runtime_mta_seen, memory_order_relaxed);
}

/* True once the warning is due: up long enough, and no MTA came. */
static bool runtime_mta_missing(struct runtime *rt, int64_t now)
{
	struct config *cfg = policy_config(rt->policy);
	unsigned after = cfg->mta_warn_after;

	config_unref(cfg);
	return after > 0 && runtime_mta_last() == 0 &&
	    now - rt->started >= (int64_t)after;
}

static void runtime_warn_no_mta(const struct runtime *rt, int64_t now)
{
	struct config *cfg = policy_config(rt->policy);
	char socket[1024];

	escape(cfg->socket, ESCAPE_QUOTED, socket, sizeof(socket));
	log_warning("event=no-mta up=%lld socket=\"%s\" reason=\"no MTA has "
	    "connected since the start: check the MTA's milter setting (a "
	    "chrooted Postfix smtpd reaches only sockets inside its queue "
	    "directory)\"", (long long)(now - rt->started), socket);
	config_unref(cfg);
}

static void *runtime_watch(void *arg)
{
	struct runtime *rt = arg;
	struct timespec until;
	bool warned = false;

	pthread_mutex_lock(&rt->watch_lock);
	while (!rt->watch_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RUNTIME_WATCH_STEP;
		pthread_cond_timedwait(&rt->watch_wake, &rt->watch_lock, &until);
		if (rt->watch_stop)
			continue;
		store_tick(rt->store, (int64_t)time(NULL));
		if (warned)
			continue;
		if (runtime_mta_missing(rt, (int64_t)time(NULL))) {
			runtime_warn_no_mta(rt, (int64_t)time(NULL));
			warned = true;
		}
	}
	pthread_mutex_unlock(&rt->watch_lock);
	return NULL;
}

int runtime_watch_start(struct runtime *rt, char *err, size_t errlen)
{
	int rc = pthread_create(&rt->watch, NULL, runtime_watch, rt);

	if (rc != 0) {
		snprintf(err, errlen, "watch thread: %s", strerror(rc));
		return -1;
	}
	rt->watching = true;
	return 0;
}

void runtime_watch_stop(struct runtime *rt)
{
	if (!rt->watching)
		return;
	pthread_mutex_lock(&rt->watch_lock);
	rt->watch_stop = true;
	pthread_cond_signal(&rt->watch_wake);
	pthread_mutex_unlock(&rt->watch_lock);
	pthread_join(rt->watch, NULL);
	rt->watching = false;
}

/* Logging follows the new configuration at once. */
static void runtime_apply_log(struct runtime *rt, const struct config *cfg)
{
	log_set_level(cfg->log_level);
	/* log_file is a start key: a file or stderr stays as it is. */
	if (cfg->log_file[0] == '\0' &&
	    cfg->syslog_facility != rt->syslog_facility) {
		log_open("bulwark", cfg->syslog_facility, rt->foreground);
		rt->syslog_facility = cfg->syslog_facility;
	}
}

static void runtime_install(struct runtime *rt, struct config *next,
    const char *via, char *changed, size_t changedlen)
{
	struct config *running = policy_config(rt->policy);
	char path[1024];

	if (config_keep_start_keys(next, running, changed, changedlen) > 0)
		log_warning("event=reload-restart-needed keys=%s "
		    "reason=\"these keys take effect at the next start; their "
		    "running values are kept\"", changed);
	config_unref(running);
	runtime_apply_log(rt, next);
	policy_set_config(rt->policy, next);
	escape(rt->config_path, ESCAPE_QUOTED, path, sizeof(path));
	log_notice("event=reload status=ok via=%s config=\"%s\"", via, path);
	metrics_reload(true);
}

int runtime_reload(struct runtime *rt, const char *via, char *err,
    size_t errlen)
{
	char changed[RUNTIME_RESTART_KEYS_MAX];

	return runtime_reload_keys(rt, via, changed, sizeof(changed), err,
	    errlen);
}

int runtime_reload_keys(struct runtime *rt, const char *via, char *changed,
    size_t changedlen, char *err, size_t errlen)
{
	char why[CONFIG_ERROR_MAX], quoted[CONFIG_ERROR_MAX * 4];
	struct config *next;

	if (changedlen > 0)
		changed[0] = '\0';
	pthread_mutex_lock(&rt->reload_lock);
	next = config_load(rt->config_path, why, sizeof(why));
	if (next != NULL)
		runtime_install(rt, next, via, changed, changedlen);
	pthread_mutex_unlock(&rt->reload_lock);
	if (next != NULL)
		return 0;
	escape(why, ESCAPE_QUOTED, quoted, sizeof(quoted));
	log_error("event=reload status=failed via=%s error=\"%s\"", via,
	    quoted);
	metrics_reload(false);
	snprintf(err, errlen, "%s", why);
	return -1;
}
