/*
 * fuzz_recipients.c - recipients_valid() on arbitrary text, against a
 * small set loaded once.
 *
 * Beyond not crashing: the answer ignores ASCII case and does not change
 * when the address is put in angle brackets, and a valid address other
 * than the bare postmaster holds exactly one '@'.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "recipients.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct recipients *set;

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char entries[] =
	    "user@example.org\n"
	    "First.Last@Example.org  # mixed case\n"
	    "@example.net\n"
	    "postmaster@example.com\n"
	    "x+tag@[192.0.2.1]\n"
	    "\xc3\xa9t\xc3\xa9@example.org\n";
	char path[] = "/tmp/fuzz_recipients.XXXXXX", err[512];
	int fd = mkstemp(path);

	check(fd >= 0);
	check(write(fd, entries, sizeof(entries) - 1) ==
	    (ssize_t)sizeof(entries) - 1);
	close(fd);
	set = recipients_load(path, err, sizeof(err));
	unlink(path);
	if (set == NULL) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	check(recipients_count(set) == 6);
	return 0;
}

static void upper(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *wrapped = malloc(size + 3);
	size_t len;
	bool valid;

	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);
	valid = recipients_valid(set, text);
	if (valid && strcasecmp(text, "postmaster") != 0 &&
	    strcasecmp(text, "<postmaster>") != 0)
		check(strchr(text, '@') != NULL &&
		    strchr(text, '@') == strrchr(text, '@'));
	if (strpbrk(text, "<>") == NULL) {
		snprintf(wrapped, size + 3, "<%s>", text);
		check(recipients_valid(set, wrapped) == valid);
	}
	memcpy(wrapped, text, len + 1);
	upper(wrapped);
	check(recipients_valid(set, wrapped) == valid);
	free(wrapped);
	free(text);
	return 0;
}
