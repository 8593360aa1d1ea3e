# payments.cmake — payment-svc's tests: cmocka unit tests of its pure parts (state
# machine, refund arithmetic, sandbox decisions) and the integration test against
# real PostgreSQL. Included by tests/CMakeLists.txt.
set(PAYMENT_SVC_DIR ${PROJECT_SOURCE_DIR}/payment-svc)

add_unit_test(test_payment_state unit/test_payment_state.c ${PAYMENT_SVC_DIR}/payment_state.c)
add_unit_test(test_payment_refund unit/test_payment_refund.c ${PAYMENT_SVC_DIR}/payment_state.c)
add_unit_test(test_payment_sandbox unit/test_payment_sandbox.c ${PAYMENT_SVC_DIR}/sandbox.c
              ${PAYMENT_SVC_DIR}/provider.c)
foreach(t test_payment_state test_payment_refund test_payment_sandbox)
  target_include_directories(${t} PRIVATE ${PAYMENT_SVC_DIR})
endforeach()

add_integration_test(test_payments integration/test_payments.c)
