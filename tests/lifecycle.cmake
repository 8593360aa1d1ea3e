# The checkout lifecycle (issue 16): ExtendHold, overbooking and partial cancellation
# (test_lifecycle), the waiting list with two booking-svc replicas (test_waitlist).
add_integration_test(test_lifecycle integration/test_lifecycle.c)
add_integration_test(test_waitlist integration/test_waitlist.c)
