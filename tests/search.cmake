# search-svc's tests: unit tests of its pure parts (search_logic), integration tests
# against the real stack (booking-svc + search-svc), and its benchmark (built here,
# run by hand; not a CTest test).
add_unit_test(test_search_geo unit/test_search_geo.c LIBS search_logic)
add_unit_test(test_search_ranking unit/test_search_ranking.c LIBS search_logic)
add_unit_test(test_search_token unit/test_search_token.c LIBS search_logic)
add_unit_test(test_search_filters unit/test_search_filters.c LIBS search_logic)
add_unit_test(test_search_slots unit/test_search_slots.c LIBS search_logic)
add_unit_test(test_search_shard unit/test_search_shard.c LIBS search_logic)

add_integration_test(test_search integration/test_search.c)
# two half shards behind the router answer exactly what one whole replica answers
add_integration_test(test_search_shards integration/test_search_shards.c)
# full loads from a real streaming replica, fenced on the primary's WAL position
add_integration_test(test_search_replica integration/test_search_replica.c)

add_library(bench_dataset STATIC bench/bench_dataset.c)
target_link_libraries(bench_dataset PUBLIC test_harness)
project_warnings(bench_dataset)

add_executable(bench_search bench/bench_search.c)
target_link_libraries(bench_search PRIVATE bench_dataset)
project_warnings(bench_search)
add_dependencies(bench_search ${SERVICE_TARGETS})
# where tests/bench/run.sh looks for it
set_target_properties(bench_search PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)

add_executable(bench_search_scale bench/bench_search_scale.c)
target_link_libraries(bench_search_scale PRIVATE bench_dataset)
project_warnings(bench_search_scale)
add_dependencies(bench_search_scale ${SERVICE_TARGETS})
set_target_properties(bench_search_scale PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)
