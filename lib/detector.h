/*
 * detector.h - the detectors bulwark runs and the actions they take.
 *
 * DETECTOR_DOS      connections per host within an evaluation period
 * DETECTOR_DHA      invalid recipients per host within an evaluation period
 * DETECTOR_ATTACK   flagged connections ("possible SMTP attack") per host
 * DETECTOR_MANUAL   blocks set by hand (bulwarkctl); never counted
 *
 * detector_name() and action_name() return static lower-case names
 * ("dos", "tempfail", ...) for logs and configuration.
 */
#ifndef BULWARK_DETECTOR_H
#define BULWARK_DETECTOR_H

enum detector {
	DETECTOR_DOS,
	DETECTOR_DHA,
	DETECTOR_ATTACK,
	DETECTOR_MANUAL,
	DETECTOR_COUNT
};

enum action {
	ACTION_LOG,		/* only log what would have been refused */
	ACTION_TEMPFAIL,	/* 421 4.7.0: the MTA drops the connection */
	ACTION_REJECT		/* 554 5.7.1 at CONNECT, 550 5.7.1 later */
};

const char *detector_name(enum detector detector);
const char *action_name(enum action action);

/* Parse a name; return 0 and set *out, or -1 when the name is unknown. */
int detector_from_name(const char *name, enum detector *out);
int action_from_name(const char *name, enum action *out);

#endif
