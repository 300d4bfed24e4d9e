/*
 * log.h - the log ladder: error, warning, notice, info, debug.
 *
 * log_open() sends messages to syslog with the given facility, and also
 * to stderr when to_stderr is set.  log_open_fd() sends them to the file
 * open on fd instead of syslog (one write per line, with the time and
 * the process id, for an O_APPEND file), and also to stderr when
 * to_stderr is set; fd -1 sends them to stderr alone.  Messages below the level set with
 * log_set_level() are dropped.  Before log_open() messages go to stderr.
 * Lines are key=value; client text must go through escape() first.
 * Every function returns: ending the process is for the program to
 * decide (it logs why at error level, event=fatal, then exits).
 */
#ifndef BULWARK_LOG_H
#define BULWARK_LOG_H

#include <stdbool.h>

#include "config.h"

void log_open(const char *ident, int facility, bool to_stderr);
void log_open_fd(int fd, bool to_stderr);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...)   log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
