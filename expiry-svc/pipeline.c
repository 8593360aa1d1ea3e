/* pipeline.c — append-then-read on the redis_conn's hiredis context. */
#include "pipeline.h"

#include <stdio.h>

int pipe_begin(redis_conn *r) { return redis_ensure(r); }

void pipe_append(redis_conn *r, int argc, const char **argv) { redisAppendCommandArgv(r->ctx, argc, argv, NULL); }

int pipe_read(redis_conn *r, int n, redisReply **out)
{
    int i = 0;
    for (; i < n; i++) {
        void *reply = NULL;
        if (redisGetReply(r->ctx, &reply) != REDIS_OK || !reply)
            break;
        out[i] = reply;
    }
    if (i == n)
        return 0;
    r->err = 1; /* the context carries the error too: redis_ensure reopens it */
    snprintf(r->errstr, sizeof r->errstr, "pipeline: %s", r->ctx->errstr[0] ? r->ctx->errstr : "no reply");
    for (; i < n; i++)
        out[i] = NULL;
    return -1;
}
