/*
 * commands_exclude.c - exclude list|add|remove: the entries of
 * exclude_file, changed while the daemon runs.  See commands.h.
 *
 * The file is rewritten whole: a new file beside it, made by mkstemp()
 * (so no existing path is followed), given the old file's mode, synced,
 * then renamed over it, so that a reload, a SIGHUP or a crash sees the
 * old file or the new one, never part of one.  Every line but the ones
 * removed (comments, blank lines, other entries) is kept as it was.  Then
 * the configuration is reloaded as reload does; when it does not load,
 * the old file is put back the same way and the command is refused, so
 * the file and the running exclude list never disagree.  The file being
 * the configuration's own, a change survives reloads and restarts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "commands_impl.h"
#include "escape.h"
#include "hostlist.h"
#include "log.h"
#include "xalloc.h"

#define EXCLUDE_FILE_MAX (16u * 1024 * 1024)

/* The file's text, malloc'd and NUL-terminated, its length in *len. */
static char *exclude_read(struct command_ctx *c, const char *path,
    size_t *len)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;

	*len = 0;
	if (f == NULL) {
		commands_fail(c, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (size - *len < 4096)
			text = xrealloc(text, size = size ? size * 2 : 8192, 1);
		*len += fread(text + *len, 1, size - *len - 1, f);
		if (feof(f) || ferror(f) || *len > EXCLUDE_FILE_MAX)
			break;
	}
	text[*len] = '\0';
	if (ferror(f) || *len > EXCLUDE_FILE_MAX) {
		commands_fail(c, "cannot read %s: %s", path, ferror(f) ?
		    "read error" : "too large");
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static int exclude_write_all(int fd, const char *text, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, text, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		text += n;
		len -= (size_t)n;
	}
	return fsync(fd);
}

/* Write, sync and close fd; -1 with errno set, fd closed either way. */
static int exclude_write_fd(int fd, const struct stat *old, const char *text,
    size_t len)
{
	int saved;

	if ((old != NULL && fchmod(fd, old->st_mode & 07777) < 0) ||
	    exclude_write_all(fd, text, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

static int exclude_write(struct command_ctx *c, const char *path,
    const char *text, size_t len)
{
	struct stat st;
	char *tmp = xmalloc(strlen(path) + 8);
	int fd;

	sprintf(tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		commands_fail(c, "cannot create a file beside %s (%s): the "
		    "daemon's user must be able to write in its directory",
		    path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (exclude_write_fd(fd, stat(path, &st) == 0 ? &st : NULL, text,
	    len) < 0 || rename(tmp, path) < 0) {
		commands_fail(c, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static bool exclude_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The entry of a line (blanks and comment trimmed) into buf; "" if none. */
static const char *exclude_entry(const char *line, size_t len, char *buf,
    size_t size)
{
	const char *hash = memchr(line, '#', len);

	if (hash != NULL)
		len = (size_t)(hash - line);
	while (len > 0 && exclude_blank(line[0])) {
		line++;
		len--;
	}
	while (len > 0 && exclude_blank(line[len - 1]))
		len--;
	if (len >= size)
		len = 0;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return buf;
}

/* Whether a line of the file names the same addresses as t. */
static bool exclude_same(struct command_ctx *c, const char *line,
    size_t len, const struct command_target *t)
{
	char entry[ADDR_TEXT_MAX * 2];
	struct command_target other;

	if (exclude_entry(line, len, entry, sizeof(entry))[0] == '\0' ||
	    commands_target(c, entry, &other) < 0)
		return false;
	return other.prefix == t->prefix &&
	    other.addr.family == t->addr.family &&
	    memcmp(other.addr.bytes, t->addr.bytes, sizeof(t->addr.bytes)) == 0;
}

/*
 * The text without the lines equal to t (remove) or with t appended
 * (add; NULL when t is already there).  *found: lines equal to t.
 */
static char *exclude_edit(struct command_ctx *c, const char *text, size_t len,
    const struct command_target *t, bool add, size_t *found, size_t *outlen)
{
	char *out = xmalloc(len + strlen(t->text) + 3);
	const char *line = text, *end;
	size_t used = 0;

	*found = 0;
	for (; line < text + len; line = end + 1) {
		if ((end = memchr(line, '\n', (size_t)(text + len - line))) ==
		    NULL)
			end = text + len;
		if (exclude_same(c, line, (size_t)(end - line), t)) {
			(*found)++;
			if (!add)
				continue;
		}
		memcpy(out + used, line, (size_t)(end - line));
		used += (size_t)(end - line);
		out[used++] = '\n';
	}
	if (add && *found > 0) {
		free(out);
		return NULL;
	}
	if (add)
		used += (size_t)sprintf(out + used, "%s\n", t->text);
	*outlen = used;
	return out;
}

/* Whether addr is excluded under the configuration now in force. */
static bool exclude_in_force(struct command_ctx *c,
    const struct host_addr *addr)
{
	struct config *cfg = policy_config(c->rt->policy);
	bool excluded = hostlist_match(cfg->exclude, addr);

	config_unref(cfg);
	return excluded;
}

/* Write next, reload; on a failed reload put old back. */
static int exclude_apply(struct command_ctx *c, const char *path,
    const char *old, size_t oldlen, const char *next, size_t nextlen,
    char *keys, size_t keyslen)
{
	char err[CONFIG_ERROR_MAX], quoted[1024];

	if (exclude_write(c, path, next, nextlen) < 0)
		return -1;
	if (runtime_reload_keys(c->rt, "control", keys, keyslen, err,
	    sizeof(err)) == 0)
		return 0;
	if (exclude_write(c, path, old, oldlen) < 0) {
		escape(path, ESCAPE_QUOTED, quoted, sizeof(quoted));
		log_error("event=exclude-restore-failed file=\"%s\"", quoted);
		return commands_fail(c, "the configuration does not load (%s), "
		    "and the old %s could not be put back: it holds the "
		    "change", err, path);
	}
	return commands_fail(c, "%s is unchanged: the configuration does not "
	    "load: %s", path, err);
}

static int exclude_list(struct command_ctx *c, const char *path)
{
	char entry[ADDR_TEXT_MAX * 2];
	size_t len;
	char *text = exclude_read(c, path, &len);
	json_t *entries;

	if (text == NULL)
		return -1;
	entries = json_array();
	for (char *line = strtok(text, "\n"); line != NULL;
	    line = strtok(NULL, "\n")) {
		if (exclude_entry(line, strlen(line), entry,
		    sizeof(entry))[0] != '\0')
			json_array_append_new(entries, control_json_text(entry));
	}
	free(text);
	commands_members(c, json_pack("{s:o, s:o}",
	    "file", control_json_text(path), "entries", entries));
	return 0;
}

static int exclude_change(struct command_ctx *c, const char *path, bool add)
{
	struct command_target t;
	char keys[RUNTIME_RESTART_KEYS_MAX] = "";
	size_t len, nextlen = 0, found;
	char *text, *next = NULL;
	bool excluded;

	if (c->argc < 2)
		return commands_fail(c, "exclude %s: missing address or prefix",
		    c->argv[0]);
	if (commands_target(c, c->argv[1], &t) < 0 ||
	    (text = exclude_read(c, path, &len)) == NULL)
		return -1;
	next = exclude_edit(c, text, len, &t, add, &found, &nextlen);
	if (!add && found == 0) {
		free(text);
		free(next);
		return commands_fail(c, "%s is not in %s%s", t.text, path,
		    exclude_in_force(c, &t.addr) ? " (it is excluded by the "
		    "exclude key of the configuration, which bulwarkctl does "
		    "not edit)" : "");
	}
	if (next != NULL && exclude_apply(c, path, text, len, next, nextlen,
	    keys, sizeof(keys)) < 0) {
		free(text);
		free(next);
		return -1;
	}
	free(text);
	free(next);
	excluded = exclude_in_force(c, &t.addr);
	log_notice("event=exclude-%s entry=%s changed=%s uid=%ld",
	    add ? "add" : "remove", t.text, next != NULL ? "yes" : "no",
	    (long)c->peer);
	commands_members(c, json_pack("{s:o, s:s, s:o, s:b, s:b, s:o, s:o}",
	    "file", control_json_text(path),
	    "action", add ? "add" : "remove",
	    "entry", control_json_text(t.text),
	    "changed", next != NULL,
	    "excluded", excluded,
	    "warning", control_json_text(!add && excluded ? "the address is "
	    "still excluded by another entry" : NULL),
	    "restart_needed", commands_restart_keys(keys)));
	return 0;
}

int commands_exclude(struct command_ctx *c)
{
	const char *path = c->cfg->exclude_file;
	bool list = strcmp(c->argv[0], "list") == 0;

	if (!list && strcmp(c->argv[0], "add") != 0 &&
	    strcmp(c->argv[0], "remove") != 0)
		return commands_fail(c, "exclude: \"%.32s\" is not one of list, "
		    "add, remove", c->argv[0]);
	if (list && c->argc > 1)
		return commands_fail(c, "exclude list: too many arguments");
	if (path[0] == '\0')
		return commands_fail(c, "no exclude_file is configured: set "
		    "exclude_file = \"/path\"; in the configuration (a file in "
		    "a directory the daemon's user can write) and reload");
	return list ? exclude_list(c, path) : exclude_change(c, path,
	    strcmp(c->argv[0], "add") == 0);
}
