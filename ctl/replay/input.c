/*
 * input.c - every log file merged into one stream of lines in time
 * order.  See replay.h.
 *
 * Each file is read in its own order; of the files' next lines the
 * earliest is returned, so rotated files may be named in any order, and
 * the logs of several MTAs of a mail array interleave.  Of lines of the
 * same second, the one of the file that began first wins (the older of
 * two rotated files), then the file named first.  A line without a time (continued, unparsed)
 * is returned as soon as it is its file's next.
 */
#include <stdlib.h>

#include "replay.h"
#include "xalloc.h"

struct input {
	struct reader **readers;
	const struct log_line **next;	/* each reader's next line, NULL at its end */
	int64_t *began;			/* time of each file's first line, 0 before */
	size_t count;
	size_t taken;			/* reader of the line returned last */
	bool started;
};

struct input *input_open(char *const *paths, size_t count, char *err,
    size_t errlen)
{
	struct input *in = xcalloc(1, sizeof(*in));

	in->readers = xcalloc(count, sizeof(*in->readers));
	in->next = xcalloc(count, sizeof(*in->next));
	in->began = xcalloc(count, sizeof(*in->began));
	for (size_t i = 0; i < count; i++) {
		in->readers[i] = reader_open(paths[i], err, errlen);
		if (in->readers[i] == NULL) {
			input_close(in);
			return NULL;
		}
		in->count = i + 1;
	}
	in->count = count;
	in->taken = count;
	return in;
}

void input_close(struct input *in)
{
	if (in == NULL)
		return;
	for (size_t i = 0; i < in->count; i++)
		reader_close(in->readers[i]);
	free(in->readers);
	free(in->next);
	free(in->began);
	free(in);
}

void input_progress(const struct input *in, uint64_t *done, uint64_t *total)
{
	uint64_t d, t;

	*done = *total = 0;
	for (size_t i = 0; i < in->count; i++) {
		reader_progress(in->readers[i], &d, &t);
		*done += d;
		*total += t;
	}
}

/* Read reader i's next line; false on a read error. */
static bool input_advance(struct input *in, size_t i, char *err,
    size_t errlen)
{
	in->next[i] = reader_next(in->readers[i], err, errlen);
	if (in->began[i] == 0 && in->next[i] != NULL &&
	    in->next[i]->kind == LINE_SYSLOG)
		in->began[i] = in->next[i]->time;
	return in->next[i] != NULL || err[0] == '\0';
}

const struct log_line *input_next(struct input *in, char *err, size_t errlen)
{
	size_t best = in->count;

	err[0] = '\0';
	if (!in->started) {
		in->started = true;
		for (size_t i = 0; i < in->count; i++) {
			if (!input_advance(in, i, err, errlen))
				return NULL;
		}
	} else if (in->taken < in->count &&
	    !input_advance(in, in->taken, err, errlen)) {
		return NULL;
	}
	for (size_t i = 0; i < in->count; i++) {
		const struct log_line *l = in->next[i];

		if (l == NULL)
			continue;
		if (l->kind != LINE_SYSLOG) {
			best = i;
			break;
		}
		if (best == in->count || l->time < in->next[best]->time ||
		    (l->time == in->next[best]->time &&
		    in->began[i] < in->began[best]))
			best = i;
	}
	in->taken = best;
	return best < in->count ? in->next[best] : NULL;
}
