/* socket_check.c — a non-blocking peek at an idle socket. */
#include "socket_check.h"

#include <errno.h>
#include <sys/socket.h>

int socket_closed_while_idle(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}
