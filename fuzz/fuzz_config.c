/*
 * fuzz_config.c - config_load() on an arbitrary file: the libconfig
 * parser and every check bulwark makes of what it read.
 *
 * A file that loads must give a configuration within the documented
 * ranges; one that does not must give an error.  A loaded
 * configuration is then walked the way a reload does
 * (config_keep_start_keys() against the defaults) and freed.
 *
 * libconfig 1.5 leaks the string it was reading when it meets a syntax
 * error (`K"x"`, or a string never closed): those leaks are libconfig's
 * own, not bulwark's, and are suppressed here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/lsan_interface.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[32];
static int fd = -1;
static struct config *defaults;

static void check(int ok)
{
	if (!ok)
		abort();
}

const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = open_file("fuzz_config");
	defaults = config_defaults();
	return 0;
}

static void write_file(const uint8_t *data, size_t size)
{
	check(ftruncate(fd, 0) == 0);
	check(pwrite(fd, data, size, 0) == (ssize_t)size);
}

static void check_loaded(struct config *cfg)
{
	char changed[64];

	check(cfg->ipv4_prefix >= 1 && cfg->ipv4_prefix <= 32);
	check(cfg->ipv6_prefix >= 1 && cfg->ipv6_prefix <= 128);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		check(cfg->replies[d] != NULL && cfg->replies[d][0] != '\0');
	config_keep_start_keys(cfg, defaults, changed, sizeof(changed));
	check(memchr(changed, '\0', sizeof(changed)) != NULL);
	config_dha_status_counts(cfg, "5.1.1");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg;

	write_file(data, size);
	memset(err, 0, sizeof(err));
	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL) {
		check(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	check_loaded(cfg);
	config_unref(cfg);
	return 0;
}
