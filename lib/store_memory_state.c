/*
 * store_memory_state.c - see store_memory_state.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_memory_state.h"
#include "xalloc.h"

#define STATE_HEADER	"# bulwark state 1"
#define STATE_LINE_MAX	(2 * STORE_NOTE_REASON_MAX + 2 * STORE_NOTE_NODE_MAX + 256)
#define STATE_RECORDS_MAX 10000000

/* Hex of text, or "-" when it is empty. */
static void state_hex(FILE *fp, const char *text)
{
	if (text[0] == '\0') {
		fputc('-', fp);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p != 0; p++)
		fprintf(fp, "%02x", *p);
}

struct state_saver {
	struct store *store;
	FILE *fp;
	int64_t now;
	int blocks;
};

static int state_save_host(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct state_saver *sv = arg;
	char text[ADDR_TEXT_MAX];
	struct store_note note;
	int64_t manual = 0;

	host_key_format(key, text, sizeof(text));
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		int64_t until = host->state[d].block_until;

		if (until <= sv->now)
			continue;
		fprintf(sv->fp, "block %s %s %" PRId64 "\n", text,
		    detector_name((enum detector)d), until);
		sv->blocks++;
		if (d == DETECTOR_MANUAL)
			manual = until;
	}
	if (manual > 0 && store_get_note(sv->store, key, &note) == 1) {
		fprintf(sv->fp, "note %s %" PRId64 " %" PRId64 " ", text, manual,
		    note.set_at);
		state_hex(sv->fp, note.node);
		fputc(' ', sv->fp);
		state_hex(sv->fp, note.reason);
		fputc('\n', sv->fp);
	}
	return 0;
}

int store_memory_state_save(struct store *store, const char *path,
    int64_t now, char *err, size_t errlen)
{
	struct state_saver sv = { .store = store, .now = now };
	char *tmp = xmalloc(strlen(path) + 8);
	int fd, failed;

	sprintf(tmp, "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 || (sv.fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(tmp);
		return -1;
	}
	fprintf(sv.fp, "%s\n", STATE_HEADER);
	failed = store_list_blocks(store, now, state_save_host, &sv) < 0;
	if (failed)
		snprintf(err, errlen, "%s: the store failed: %s", path,
		    store_error(store));
	if (fflush(sv.fp) != 0 || fsync(fileno(sv.fp)) != 0) {
		if (!failed)
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		failed = 1;
	}
	fclose(sv.fp);
	if (!failed && rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		failed = 1;
	}
	if (failed)
		unlink(tmp);
	free(tmp);
	return failed ? -1 : sv.blocks;
}

/* Loading. */

struct state_record {
	struct host_key key;
	bool is_note;
	enum detector detector;
	int64_t until;
	struct store_note note;
};

/* "address" or "address/prefix", as host_key_format() writes them. */
static int state_key(char *text, struct host_key *key)
{
	struct host_addr addr;
	char *slash = strchr(text, '/'), *end;
	unsigned long prefix;

	if (slash != NULL)
		*slash = '\0';
	if (addr_parse(text, &addr) < 0)
		return -1;
	prefix = addr.family == 4 ? 32 : 128;
	if (slash != NULL) {
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' || prefix < 1 ||
		    prefix > (addr.family == 4 ? 32u : 128u))
			return -1;
	}
	addr_key(&addr, (unsigned)prefix, (unsigned)prefix, key);
	return 0;
}

static int state_time(const char *text, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int state_unhex(const char *text, char *out, size_t outlen)
{
	size_t len = strlen(text);

	if (strcmp(text, "-") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (len % 2 != 0 || len / 2 >= outlen)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(text + 2 * i, "%2x", &v) != 1 || v == 0 ||
		    strchr("0123456789abcdef", text[2 * i]) == NULL ||
		    strchr("0123456789abcdef", text[2 * i + 1]) == NULL)
			return -1;
		out[i] = (char)v;
	}
	out[len / 2] = '\0';
	return 0;
}

/* Split line into at most max blank-separated fields; how many. */
static int state_fields(char *line, char **field, int max)
{
	int n = 0;

	for (char *tok = strtok(line, " "); tok != NULL;
	    tok = strtok(NULL, " ")) {
		if (n == max)
			return max + 1;
		field[n++] = tok;
	}
	return n;
}

static int state_parse(char *line, struct state_record *r)
{
	char *f[7];
	int n = state_fields(line, f, 6);

	memset(r, 0, sizeof(*r));
	if (n == 4 && strcmp(f[0], "block") == 0)
		return state_key(f[1], &r->key) < 0 ||
		    detector_from_name(f[2], &r->detector) < 0 ||
		    state_time(f[3], &r->until) < 0 ? -1 : 0;
	if (n != 6 || strcmp(f[0], "note") != 0)
		return -1;
	r->is_note = true;
	return state_key(f[1], &r->key) < 0 ||
	    state_time(f[2], &r->until) < 0 ||
	    state_time(f[3], &r->note.set_at) < 0 ||
	    state_unhex(f[4], r->note.node, sizeof(r->note.node)) < 0 ||
	    state_unhex(f[5], r->note.reason, sizeof(r->note.reason)) < 0 ?
	    -1 : 0;
}

/* Every record of the file, or -1 with the reason in err. */
static int state_read(FILE *fp, const char *path, struct state_record **out,
    size_t *count, char *err, size_t errlen)
{
	char line[STATE_LINE_MAX];
	size_t n = 0, cap = 0;
	unsigned lineno = 0;

	*out = NULL;
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);

		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%u: line too long or cut short",
			    path, lineno);
			return -1;
		}
		line[len - 1] = '\0';
		if (lineno == 1) {
			if (strcmp(line, STATE_HEADER) != 0) {
				snprintf(err, errlen, "%s:1: not a bulwark state "
				    "file (expected \"%s\")", path, STATE_HEADER);
				return -1;
			}
			continue;
		}
		if (n == cap) {
			if (cap >= STATE_RECORDS_MAX) {
				snprintf(err, errlen, "%s: too many records", path);
				return -1;
			}
			cap = cap == 0 ? 64 : cap * 2;
			*out = xrealloc(*out, cap, sizeof(**out));
		}
		if (state_parse(line, &(*out)[n]) < 0) {
			snprintf(err, errlen, "%s:%u: not a block or note record",
			    path, lineno);
			return -1;
		}
		n++;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (lineno == 0) {
		snprintf(err, errlen, "%s: empty file", path);
		return -1;
	}
	*count = n;
	return 0;
}

int store_memory_state_load(struct store *store, const char *path,
    int64_t now, bool *missing, char *err, size_t errlen)
{
	struct state_record *r;
	size_t count = 0;
	int blocks = 0, fd;
	FILE *fp;

	*missing = false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || (fp = fdopen(fd, "r")) == NULL) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return *missing ? 0 : -1;
	}
	if (state_read(fp, path, &r, &count, err, errlen) < 0) {
		fclose(fp);
		free(r);
		return -1;
	}
	fclose(fp);
	for (size_t i = 0; i < count; i++) {
		if (r[i].until <= now || r[i].is_note)
			continue;
		if (store_block(store, &r[i].key, r[i].detector, r[i].until,
		    now) == 0)
			blocks++;
	}
	for (size_t i = 0; i < count; i++) {
		if (r[i].until > now && r[i].is_note)
			(void)store_set_note(store, &r[i].key, &r[i].note,
			    r[i].until, now);
	}
	free(r);
	return blocks;
}
