/* router.h — search-svc as a router over shards (SEARCH_SHARDS): its state and handlers. */
#ifndef SEARCH_SVC_ROUTER_H
#define SEARCH_SVC_ROUTER_H

#include <stddef.h>

#include "rpc.h"

typedef struct search_router search_router;

/* One channel per shard address in `addresses` (comma-separated; shard i is the i-th);
 * NULL with a message in err when none or too many. Free with router_free. */
search_router *router_new(const char *addresses, const char *token_key, char *err, size_t errlen);
void router_free(search_router *rt);

int router_search(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int router_get_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int router_get_calendar(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);

#endif
