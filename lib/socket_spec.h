/*
 * socket_spec.h - the milter socket forms: "unix:/path", "inet:PORT",
 * "inet:PORT@HOST" and "inet6:PORT@HOST".
 *
 * socket_spec_problem() returns NULL when spec has one of those forms
 * (an absolute unix path short enough for a sockaddr_un, a port 1..65535,
 * a host of letters, digits, '.', '-' and for inet6 ':'), or a static
 * one-line reason.
 */
#ifndef BULWARK_SOCKET_SPEC_H
#define BULWARK_SOCKET_SPEC_H

const char *socket_spec_problem(const char *spec);

#endif
