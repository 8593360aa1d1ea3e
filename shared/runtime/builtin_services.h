/* builtin_services.h — services every server hosts: health and server reflection. */
#ifndef SHARED_BUILTIN_SERVICES_H
#define SHARED_BUILTIN_SERVICES_H

#include "rpc.h"

const rpc_service *health_service(void);
const rpc_service *reflection_service_v1(void);
const rpc_service *reflection_service_v1alpha(void);

#endif
