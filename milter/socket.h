/*
 * socket.h - the socket the MTA talks to bulwark on.
 *
 * A socket is written as libmilter takes it: "unix:/path" (or
 * "local:/path") with an absolute path that fits a socket address,
 * "inet:port@host" or "inet6:port@host" with a port from 1 to 65535
 * ("@host" may be left out: every address).
 *
 * socket_check() returns 0 when spec has that form, or -1 with the reason
 * in err.
 * socket_open() checks spec, opens the listening socket through libmilter
 * and, for a unix socket, gives it mode.  A unix socket is made as
 * privdrop_dir.h says for p (privdrop_prepare()d): as the user in the
 * user's directory, else as root in a directory only root controls, then
 * given to the user; a directory that is neither is refused.  A socket
 * file left behind by a process that is gone is replaced; one a live
 * process still listens on, or a file that is not a socket, is an error,
 * as is a missing directory.  Returns 0, or -1 with "spec: reason" in err.
 * Call it after callbacks_register() and before smfi_main().
 * socket_remove() removes the file of the unix socket socket_open()
 * created, if it is still there, after smfi_main() (libmilter leaves it
 * behind when running as root).
 * socket_unix_free() returns 0 when a unix socket may be created at path:
 * its directory exists and nothing is there, or a socket nobody listens
 * on (which the caller removes).  Otherwise -1 with the reason in err.
 */
#ifndef BULWARK_SOCKET_H
#define BULWARK_SOCKET_H

#include <stddef.h>

#include "privdrop.h"

int socket_check(const char *spec, char *err, size_t errlen);
int socket_open(const char *spec, unsigned mode, const struct privdrop *p,
    char *err, size_t errlen);
void socket_remove(void);
int socket_unix_free(const char *path, char *err, size_t errlen);

#endif
