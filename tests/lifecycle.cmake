# The checkout lifecycle (issue 16): ExtendHold, overbooking and partial cancellation
# (test_lifecycle), the waiting list with two booking-svc replicas and its
# waitlist.offered webhooks (test_waitlist; webhook_receiver is in webhooks.cmake).
add_integration_test(test_lifecycle integration/test_lifecycle.c)
add_integration_test(test_waitlist integration/test_waitlist.c)
target_link_libraries(test_waitlist PRIVATE webhook_receiver)
