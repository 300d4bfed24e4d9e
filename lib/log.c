/*
 * log.c - see log.h.
 *
 * A reload sets the level and reopens the log while other threads log:
 * the level and the destinations are read and written atomically
 * (relaxed: they order nothing else; openlog() and syslog() lock).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static _Atomic bool log_to_syslog;
static _Atomic bool log_to_stderr = true;
static _Atomic int log_fd = -1;
static _Atomic int log_threshold = LOG_LEVEL_INFO;

static const int log_priorities[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARNING] = LOG_WARNING,
	[LOG_LEVEL_NOTICE] = LOG_NOTICE,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_open(const char *ident, int facility, bool to_stderr)
{
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
	atomic_store_explicit(&log_fd, -1, memory_order_relaxed);
	atomic_store_explicit(&log_to_syslog, true, memory_order_relaxed);
	atomic_store_explicit(&log_to_stderr, to_stderr, memory_order_relaxed);
}

void log_open_fd(int fd, bool to_stderr)
{
	atomic_store_explicit(&log_fd, fd, memory_order_relaxed);
	atomic_store_explicit(&log_to_syslog, false, memory_order_relaxed);
	atomic_store_explicit(&log_to_stderr, to_stderr || fd < 0,
	    memory_order_relaxed);
}

/* One line to the log file: "TIME bulwark[PID]: LEVEL: TEXT". */
static void log_write_fd(int fd, enum log_level level, const char *text)
{
	char out[2200], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int len;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	len = snprintf(out, sizeof(out), "%s bulwark[%ld]: %s: %s\n", stamp,
	    (long)getpid(), log_level_names[level], text);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(out))
		len = (int)sizeof(out) - 1;
	(void)!write(fd, out, (size_t)len);
}

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_threshold, (int)level, memory_order_relaxed);
}

bool log_enabled(enum log_level level)
{
	return (int)level <=
	    atomic_load_explicit(&log_threshold, memory_order_relaxed);
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	int fd = atomic_load_explicit(&log_fd, memory_order_relaxed);
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (atomic_load_explicit(&log_to_syslog, memory_order_relaxed))
		syslog(log_priorities[level], "%s", line);
	if (fd >= 0)
		log_write_fd(fd, level, line);
	if (atomic_load_explicit(&log_to_stderr, memory_order_relaxed))
		fprintf(stderr, "bulwark: %s: %s\n", log_level_names[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
