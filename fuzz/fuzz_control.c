/*
 * fuzz_control.c - one request line of the control socket, as
 * control.c hands it to commands_run(): at most CONTROL_LINE_MAX bytes,
 * cut at the first newline.
 *
 * The daemon's state is a memory store and a policy loaded once from a
 * small configuration file (reload reads it again), so block, unblock,
 * list and show act on hosts the fuzzer names and later requests see
 * them.  Every answer must be one JSON object ending in a newline, with
 * "ok" and, when it is false, an "error" sentence.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "config.h"
#include "control.h"
#include "log.h"
#include "policy.h"
#include "runtime.h"
#include "store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[32];
static struct runtime rt;

static void check(int ok)
{
	if (!ok)
		abort();
}

/*
 * A temporary file unlinked at once, so that no run leaves it behind; it
 * is read as /dev/fd/N, which opens it again.
 */
static int open_file(const char *name)
{
	char tmp[64];
	int f;

	snprintf(tmp, sizeof(tmp), "/tmp/%s.XXXXXX", name);
	f = mkstemp(tmp);
	check(f >= 0);
	unlink(tmp);
	snprintf(path, sizeof(path), "/dev/fd/%d", f);
	return f;
}

static void write_config(void)
{
	static const char text[] =
	    "log_level = \"error\";\n"
	    "memory = { max_hosts = 1000; };\n"
	    "exclude = [ \"192.0.2.0/24\", \"2001:db8::/32\" ];\n"
	    "blocked = [ \"198.51.100.7\" ];\n";
	int fd = open_file("fuzz_control");

	/* Kept open: reload reads it again. */
	check(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg;
	struct store *store;

	write_config();
	if ((cfg = config_load(path, err, sizeof(err))) == NULL ||
	    (store = store_open(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	log_set_level(cfg->log_level);
	runtime_init(&rt, path, policy_new(cfg, store), store, false);
	return 0;
}

static void check_answer(const char *answer)
{
	size_t len = strlen(answer);
	json_t *doc, *ok;
	json_error_t error;

	check(len > 1 && answer[len - 1] == '\n');
	check(memchr(answer, '\n', len - 1) == NULL);
	doc = json_loadb(answer, len - 1, 0, &error);
	check(json_is_object(doc));
	ok = json_object_get(doc, "ok");
	check(json_is_boolean(ok));
	if (json_is_false(ok))
		check(json_is_string(json_object_get(doc, "error")));
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CONTROL_LINE_MAX + 1];
	size_t len = size < CONTROL_LINE_MAX ? size : CONTROL_LINE_MAX;
	char *answer;

	memcpy(line, data, len);
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	answer = commands_run(&rt, line, 0);
	check_answer(answer);
	free(answer);
	return 0;
}
