/*
 * detector.c - names of detectors and actions.
 */
#include <string.h>

#include "detector.h"

static const char *const detector_names[DETECTOR_COUNT] = {
	"dos", "dha", "attack", "manual"
};

static const char *const action_names[] = { "log", "tempfail", "reject" };

#define ACTION_COUNT (sizeof(action_names) / sizeof(action_names[0]))

const char *detector_name(enum detector detector)
{
	return (unsigned)detector < DETECTOR_COUNT ? detector_names[detector] : "?";
}

const char *action_name(enum action action)
{
	return (unsigned)action < ACTION_COUNT ? action_names[action] : "?";
}

int detector_from_name(const char *name, enum detector *out)
{
	for (unsigned i = 0; i < DETECTOR_COUNT; i++) {
		if (strcmp(name, detector_names[i]) == 0) {
			*out = (enum detector)i;
			return 0;
		}
	}
	return -1;
}

int action_from_name(const char *name, enum action *out)
{
	for (unsigned i = 0; i < ACTION_COUNT; i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*out = (enum action)i;
			return 0;
		}
	}
	return -1;
}
