# Operability (issue 15): metrics every service exports linted by promtool, W3C trace
# context across services and in the logs, unit tests of the traceparent parser.
add_unit_test(test_trace unit/test_trace.c)
add_integration_test(test_observability integration/test_observability.c)
