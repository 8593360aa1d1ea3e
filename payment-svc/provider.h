/* provider.h — the payment provider interface: a struct of operations a provider
 * implements (authorize, capture, void, refund), each returning an outcome. */
#ifndef PAYMENT_SVC_PROVIDER_H
#define PAYMENT_SVC_PROVIDER_H

#include <stdint.h>

typedef enum provider_result {
    PROVIDER_APPROVED = 0,  /* done */
    PROVIDER_DECLINED,      /* refused for good; decline_code says why */
    PROVIDER_ERROR,         /* failed before anything happened; a retry may succeed */
} provider_result;

typedef enum provider_op { PROVIDER_AUTHORIZE = 0, PROVIDER_CAPTURE, PROVIDER_VOID, PROVIDER_REFUND } provider_op;

typedef struct provider_outcome {
    provider_result result;
    char decline_code[64];  /* PROVIDER_DECLINED: "card_declined", "insufficient_funds" */
    char message[128];      /* PROVIDER_DECLINED / PROVIDER_ERROR: for people */
} provider_outcome;

/* What the service asks of a provider. Like real providers, a provider deduplicates
 * on (op, operation_id): asking again returns the first answer. */
typedef struct provider_request {
    const char *payment_id;
    const char *payment_method_id;
    const char *currency;
    int64_t amount_minor;         /* authorize/capture: the payment; refund: this refund */
    const char *operation_id;     /* the payment id; for a refund, the refund id */
    int attempt;                  /* 1 for the first attempt of this op on this payment */
    int64_t deadline_left_ms;     /* the caller's time left; INT64_MAX when unbounded */
} provider_request;

typedef struct provider {
    const char *name;  /* "sandbox" */
    /* 1 when the provider accepts this payment method id. */
    int (*method_known)(const char *payment_method_id);
    /* Each fills *out and returns out->result. They may block (network). */
    provider_result (*authorize)(const provider_request *r, provider_outcome *out);
    provider_result (*capture)(const provider_request *r, provider_outcome *out);
    provider_result (*void_authorization)(const provider_request *r, provider_outcome *out);
    provider_result (*refund)(const provider_request *r, provider_outcome *out);
} provider;

/* The provider called `name`, or NULL when there is none (only "sandbox" exists). */
const provider *provider_find(const char *name);

/* Runs `op` on p (one switch for callers that hold the op as data). */
provider_result provider_run(const provider *p, provider_op op, const provider_request *r, provider_outcome *out);

extern const provider sandbox_provider;

#endif
