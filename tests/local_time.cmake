# Local time (issue 12): the zone module's unit test and the end-to-end test of
# resources in their own time zones.
add_unit_test(test_local_time unit/test_local_time.c)
add_integration_test(test_local_nights integration/test_local_nights.c)
# test_slots reads booking-svc's migration 006 (the bytes it appends to pin UTC).
target_compile_definitions(test_slots PRIVATE SOURCE_DIR="${PROJECT_SOURCE_DIR}")
