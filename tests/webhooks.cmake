# Webhooks through an outbox (docs/webhooks.md): the pure rules (signature, retry
# schedule, endpoint checks), and the outbox and sender end to end against a local
# receiver (harness/webhook_receiver.c, also used by bench/bench_webhooks.c).
add_unit_test(test_webhook_rules unit/test_webhook_rules.c LIBS webhook_rules)

add_library(webhook_receiver STATIC harness/webhook_receiver.c)
target_include_directories(webhook_receiver PUBLIC harness)
target_link_libraries(webhook_receiver PUBLIC webhook_rules svc_runtime PkgConfig::JANSSON)
project_warnings(webhook_receiver)

add_integration_test(test_webhooks integration/test_webhooks.c)
target_link_libraries(test_webhooks PRIVATE webhook_receiver)
