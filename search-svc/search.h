/* search.h — what search-svc's handlers share: stores and limits. */
#ifndef SEARCH_SVC_SEARCH_H
#define SEARCH_SVC_SEARCH_H

#include "rpc.h"
#include "service.h"

#define CALENDAR_MAX_SLOTS 2000

pg_conn *search_pg(rpc_call *call);
redis_conn *search_redis(rpc_call *call);

int rpc_get_resource(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);
int rpc_get_calendar(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response);

#endif
