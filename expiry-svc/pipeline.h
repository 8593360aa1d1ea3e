/* pipeline.h — hiredis pipelining on a shared redis_conn: append many commands, then
 * read their replies in one round trip (what keeps the sweep fast on a busy machine,
 * where every round trip costs a scheduling delay). */
#ifndef EXPIRY_PIPELINE_H
#define EXPIRY_PIPELINE_H

#include "redis.h"

/* Connects when needed; 0 when commands may be appended to r->ctx. */
int pipe_begin(redis_conn *r);
/* Appends one command (argv form; the strings are copied). */
void pipe_append(redis_conn *r, int argc, const char **argv);
/* Reads n replies into out[0..n) (free each with freeReplyObject). On a connection
 * failure returns -1 with the unread ones NULL; the next command reconnects. */
int pipe_read(redis_conn *r, int n, redisReply **out);

#endif
