/* main.c — payment-svc: PaymentService over a provider interface, own schema: its
 * settings, its method table and the service definition. */
#include <stdio.h>

#include "log.h"
#include "payment.h"
#include "sandbox.h"

extern const migration payment_migrations[];
extern const size_t payment_migration_count;

static const config_entry settings[] = {
    {"PROVIDER", CONFIG_STRING, payment_config.provider, "sandbox", 0, 0,
     "payment provider (only \"sandbox\", the test-mode provider, exists)"},
    {"SANDBOX_LATENCY_MS", CONFIG_INT, &sandbox_latency_ms, "0", 0, 10000,
     "sandbox: time every provider answer takes (a real provider's round trip)"},
};

static const rpc_method payment_methods[] = {
    {"AuthorizePayment", rpc_authorize_payment, RPC_ROLE_SERVICE, RPC_UNARY, RPC_IDEMPOTENT},
    {"CapturePayment", rpc_capture_payment, RPC_ROLE_SERVICE, RPC_UNARY, RPC_IDEMPOTENT},
    {"VoidPayment", rpc_void_payment, RPC_ROLE_SERVICE, RPC_UNARY, RPC_IDEMPOTENT},
    {"RefundPayment", rpc_refund_payment, RPC_ROLE_SERVICE, RPC_UNARY, RPC_IDEMPOTENT},
    {"GetPayment", rpc_get_payment, RPC_ROLE_SERVICE, RPC_UNARY, 0},
};

static const rpc_service payment_service = {&booking__v1__payment_service__descriptor, payment_methods,
                                            sizeof payment_methods / sizeof payment_methods[0]};
static const rpc_service *const services[] = {&payment_service};

/* The app state is the provider the PROVIDER setting names (static: nothing to free). */
static int payment_start(const service_settings *s, void **app)
{
    (void)s;
    const provider *p = provider_find(payment_config.provider);
    if (!p) {
        log_error("bad setting: PROVIDER \"%s\" is unknown (known: sandbox)", payment_config.provider);
        return -1;
    }
    payment_metrics_register();
    *app = (void *)p;
    log_info("payment provider: %s", p->name);
    return 0;
}

int main(int argc, char **argv)
{
    service_definition def = {
        .name = "payment-svc",
        .grpc_listen_default = "127.0.0.1:50053",
        .metrics_listen_default = "127.0.0.1:9103",
        .database_url_default = "postgresql://payment_svc@127.0.0.1:15432/booking",
        .database_schema = "payment",
        .services = services,
        .service_count = 1,
        .config = settings,
        .config_count = sizeof settings / sizeof settings[0],
        .migrations = payment_migrations,
        .migration_count = payment_migration_count,
        .start = payment_start,
    };
    return service_main(&def, argc, argv);
}
