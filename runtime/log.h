/*
 * log.h - one-line, level-tagged log records on stderr.
 *
 * Each record is formatted into a stack buffer and written with a single
 * write(2), so lines from different threads never interleave. Untrusted
 * bytes (request paths, upstream STDERR) go through log_escape() first:
 * control bytes and non-ASCII become \xHH, so a log line is always one line.
 */
#ifndef KILN_LOG_H
#define KILN_LOG_H

#include <stddef.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Escape src[0..len) into dst (always NUL-terminated, truncated with "..."
 * when it does not fit). Returns dst. */
char *log_escape(char *dst, size_t cap, const void *src, size_t len);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)

#endif /* KILN_LOG_H */
