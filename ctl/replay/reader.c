/*
 * reader.c - one log file cut into lines, each with its syslog header
 * read.  See replay.h.
 *
 * zlib reads plain and gzip files alike (gzip members one after the
 * other too), so a rotated "maillog.2.gz" needs no option.  A line is
 * at most REPLAY_LINE_MAX bytes: a longer one is returned cut, as
 * LINE_UNPARSED, and the rest of it skipped.  A line holding a NUL byte
 * is LINE_UNPARSED too.  The last line may lack its newline.
 *
 * The header is "STAMP HOST PROGRAM[PID]: MESSAGE" (or "PROGRAM: ").
 * The year of classic stamps is inferred from the file's modification
 * time (standard input: now), see stamp.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "replay.h"
#include "xalloc.h"

#define READER_BUF	(256 * 1024)

struct reader {
	char *name;
	gzFile gz;
	char *buf;			/* READER_BUF + 1 bytes */
	size_t start;			/* first byte not yet returned */
	size_t end;			/* bytes in buf */
	bool eof;
	bool skipping;			/* inside the rest of a line too long */
	uint64_t size;			/* of the file, 0 when unknown */
	char *copy;			/* the line, for the header to cut up */
	struct stamp_state stamp;
	struct log_line line;
};

struct reader *reader_open(const char *path, char *err, size_t errlen)
{
	struct reader *r;
	struct stat st;
	int fd;

	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) :
	    open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
		close(fd);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(strcmp(path, "-") == 0 ? "(stdin)" : path);
	r->gz = gzdopen(fd, "rb");
	if (r->gz == NULL) {
		snprintf(err, errlen, "%s: cannot read", path);
		close(fd);
		free(r->name);
		free(r);
		return NULL;
	}
	gzbuffer(r->gz, 128 * 1024);
	r->buf = xmalloc(READER_BUF + 1);
	r->copy = xmalloc(REPLAY_LINE_MAX + 1);
	r->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	stamp_init(&r->stamp, S_ISREG(st.st_mode) ? st.st_mtime : time(NULL));
	r->line.file = r->name;
	return r;
}

void reader_close(struct reader *r)
{
	if (r == NULL)
		return;
	gzclose(r->gz);
	free(r->buf);
	free(r->copy);
	free(r->name);
	free(r);
}

void reader_progress(const struct reader *r, uint64_t *done, uint64_t *total)
{
	z_off_t off = gzoffset(r->gz);

	*done = off > 0 ? (uint64_t)off : 0;
	*total = r->size;
}

/* Move what is left to the front and read more; -1 on a read error. */
static int reader_fill(struct reader *r, char *err, size_t errlen)
{
	int n, errnum;
	const char *what;

	memmove(r->buf, r->buf + r->start, r->end - r->start);
	r->end -= r->start;
	r->start = 0;
	n = gzread(r->gz, r->buf + r->end, (unsigned)(READER_BUF - r->end));
	if (n < 0) {
		what = gzerror(r->gz, &errnum);
		snprintf(err, errlen, "%s: %s", r->name, errnum == Z_ERRNO ?
		    strerror(errno) : what);
		return -1;
	}
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return 0;
}

/* "host prog[pid]: msg" after the stamp; false when it is not that. */
static bool reader_header(struct log_line *l, char *p)
{
	char *host = p, *prog, *q, *end;

	if ((q = strchr(host, ' ')) == NULL || q == host)
		return false;
	*q = '\0';
	prog = q + 1;
	q = prog + strcspn(prog, "[: ");
	if (q == prog)
		return false;
	l->pid = -1;
	if (*q == '[') {
		*q = '\0';
		errno = 0;
		l->pid = strtol(q + 1, &end, 10);
		if (errno != 0 || end == q + 1 || l->pid < 0 || end[0] != ']')
			return false;
		q = end + 1;
	}
	if (q[0] != ':' || q[1] != ' ')
		return false;
	*q = '\0';
	l->host = host;
	l->prog = prog;
	l->msg = q + 2;
	return true;
}

static void reader_classify(struct reader *r, char *text, size_t len)
{
	struct log_line *l = &r->line;
	size_t n;

	l->text = text;
	l->len = len;
	l->kind = LINE_UNPARSED;
	if (memchr(text, '\0', len) != NULL)
		return;
	if (text[0] == ' ' || text[0] == '\t') {
		l->kind = LINE_CONTINUED;
		return;
	}
	n = stamp_parse(&r->stamp, text, &l->time);
	if (n == 0 || text[n] != ' ')
		return;
	/* The header is cut up in place: keep the line whole for reports. */
	if (reader_header(l, text + n + 1))
		l->kind = LINE_SYSLOG;
}

/* The line at text, len bytes (at most REPLAY_LINE_MAX), the original kept whole. */
static const struct log_line *reader_emit(struct reader *r, char *text,
    size_t len, bool cut)
{
	memcpy(r->copy, text, len);
	r->copy[len] = '\0';
	text[len] = '\0';
	r->line.lineno++;
	if (cut) {
		r->line.kind = LINE_UNPARSED;
		r->line.len = len;
	} else {
		reader_classify(r, r->copy, len);
	}
	r->line.text = text;
	return &r->line;
}

const struct log_line *reader_next(struct reader *r, char *err,
    size_t errlen)
{
	char *nl, *text;
	size_t len;

	for (;;) {
		text = r->buf + r->start;
		nl = memchr(text, '\n', r->end - r->start);
		if (nl != NULL) {
			len = (size_t)(nl - text);
			r->start += len + 1;
			if (r->skipping) {
				r->skipping = false;
				continue;
			}
			if (len > REPLAY_LINE_MAX)
				return reader_emit(r, text, REPLAY_LINE_MAX, true);
			return reader_emit(r, text, len, false);
		}
		len = r->end - r->start;
		if (len >= REPLAY_LINE_MAX && !r->skipping) {
			r->start += len;
			r->skipping = true;
			return reader_emit(r, text, REPLAY_LINE_MAX, true);
		}
		if (r->skipping)
			r->start = r->end;
		if (r->eof) {
			if (len == 0 || r->skipping)
				return NULL;
			r->start = r->end;
			return reader_emit(r, text, len, false);
		}
		if (reader_fill(r, err, errlen) < 0)
			return NULL;
	}
}
