/*
 * log.c - see log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static bool log_to_syslog;
static bool log_to_stderr = true;
static enum log_level log_threshold = LOG_LEVEL_INFO;

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
	log_to_syslog = true;
	log_to_stderr = to_stderr;
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_threshold;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_to_syslog)
		syslog(log_priorities[level], "%s", line);
	if (log_to_stderr)
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
