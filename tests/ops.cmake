# Operability (issue 15): metrics every service exports linted by promtool, W3C trace
# context across services and in the logs, unit tests of the traceparent parser.
add_unit_test(test_trace unit/test_trace.c)
add_integration_test(test_observability integration/test_observability.c)
# bookingctl without a stack: help, --version, --json errors, the connect timeout.
add_test(NAME test_bookingctl_cli COMMAND /bin/bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_bookingctl_cli.sh
                                          $<TARGET_FILE:bookingctl>)
set_tests_properties(test_bookingctl_cli PROPERTIES LABELS unit TIMEOUT 120)
target_compile_definitions(test_observability PRIVATE SOURCE_DIR="${PROJECT_SOURCE_DIR}")
