# expiry-svc's tests: unit tests of its pure parts (expiry_core), integration tests
# against the real stack, and its benchmark (built here, not registered with CTest).
add_unit_test(test_expiry_keymap unit/test_expiry_keymap.c LIBS expiry_core)
add_unit_test(test_expiry_lag unit/test_expiry_lag.c LIBS expiry_core)
add_unit_test(test_expiry_notify unit/test_expiry_notify.c LIBS expiry_core)

add_integration_test(test_expiry integration/test_expiry.c integration/test_expiry_common.c)
add_integration_test(test_expiry_faults integration/test_expiry_faults.c integration/test_expiry_common.c)
target_compile_definitions(test_expiry_faults PRIVATE EXPIRY_SVC_BIN="$<TARGET_FILE:expiry-svc>")
add_integration_test(test_expiry_scale integration/test_expiry_scale.c integration/test_expiry_common.c)

add_executable(bench_expiry bench/bench_expiry.c)
target_link_libraries(bench_expiry PRIVATE booking_domain test_harness)
project_warnings(bench_expiry)
add_dependencies(bench_expiry ${SERVICE_TARGETS})
# beside the other benchmarks, where tests/bench/run.sh looks for it
set_target_properties(bench_expiry PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)
