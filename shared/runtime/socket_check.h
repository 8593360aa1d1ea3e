/* socket_check.h — whether the peer of an idle connection has gone (a restarted store):
 * checked before a command is written on a connection that was idle, so that a stale
 * connection is replaced instead of failing the call. */
#ifndef SHARED_SOCKET_CHECK_H
#define SHARED_SOCKET_CHECK_H

/* 1 when the peer closed the socket (or it failed) while it sat idle: a peek finds
 * end-of-file or an error instead of "nothing to read"; 0 otherwise. */
int socket_closed_while_idle(int fd);

#endif
