/* provider.c — provider lookup by name (the PROVIDER setting) and dispatch by op. */
#include "provider.h"

#include <stddef.h>
#include <string.h>

static const provider *const providers[] = {&sandbox_provider};

const provider *provider_find(const char *name)
{
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    return NULL;
}

provider_result provider_run(const provider *p, provider_op op, const provider_request *r, provider_outcome *out)
{
    switch (op) {
    case PROVIDER_AUTHORIZE: return p->authorize(r, out);
    case PROVIDER_CAPTURE: return p->capture(r, out);
    case PROVIDER_VOID: return p->void_authorization(r, out);
    case PROVIDER_REFUND: return p->refund(r, out);
    }
    out->result = PROVIDER_ERROR;
    return PROVIDER_ERROR;
}
