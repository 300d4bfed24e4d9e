/*
 * control.h - the control socket bulwarkctl(8) talks to.
 *
 * Protocol: a client connects to the unix socket, writes one request
 * line (at most CONTROL_LINE_MAX bytes before its '\n'; the end of its
 * output also ends the line) and reads the answer, one JSON document
 * followed by '\n', until the daemon closes the connection.  The
 * requests and answers are in commands.h.  Access is the socket file's
 * mode (control_mode) and owner; the peer's uid is logged with the
 * commands that change something.  Up to CONTROL_CLIENTS clients are
 * served at once: an idle or slow client delays no other.  Each has
 * CONTROL_TIMEOUT_S seconds to send its whole request line, then as long
 * to read the answer, and is dropped past either deadline; when every
 * slot is taken, a new client takes the slot of the one still sending
 * that is nearest its deadline.  Drops are logged (event=control-drop),
 * at most one line a second.  Requests run one at a time.
 *
 * control_open() creates the listening socket for spec ("unix:/path"),
 * replacing a socket left behind by a process that is gone, with mode,
 * as privdrop_dir.h says for p (privdrop_prepare()d): it belongs to the
 * user the daemon switches to.  Call it before detaching and dropping
 * privileges.  Returns 0, or -1 with "spec: reason" in err.
 * control_start() serves requests in a thread of its own; rt must
 * outlive control_stop().  Returns 0, or -1 with the reason in err.
 * control_stop() waits for the request in progress, ends the thread,
 * closes the socket and removes its file; safe when nothing was opened.
 */
#ifndef BULWARK_CONTROL_H
#define BULWARK_CONTROL_H

#include <stddef.h>

#include "privdrop.h"
#include "runtime.h"

#define CONTROL_LINE_MAX	1024
#define CONTROL_TIMEOUT_S	10
#define CONTROL_CLIENTS		32
#define CONTROL_BACKLOG		64

int control_open(const char *spec, unsigned mode, const struct privdrop *p,
    char *err, size_t errlen);
int control_start(struct runtime *rt, char *err, size_t errlen);
void control_stop(void);

#endif
