/* test_search_ranking.c — result order by price, distance and rating, and ties broken
 * by resource_id (the order is total, so pages never overlap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ranking.h"

typedef struct item {
    rank_key key;
    int payload;
} item;

static item make(const char *id, int64_t price, const char *currency, double distance, double rating)
{
    item it;
    memset(&it, 0, sizeof it);
    snprintf(it.key.resource_id, sizeof it.key.resource_id, "%s", id);
    it.key.price_minor = price;
    memcpy(it.key.currency, currency, 3);
    it.key.distance_km = distance;
    it.key.rating = rating;
    return it;
}

static void assert_order(const item *items, size_t n, const char *const *ids)
{
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].key.resource_id, ids[i]);
}

static void test_price_ascending_ties_by_id(void **state)
{
    (void)state;
    item it[] = {make("res_d", 300, "EUR", 0, 0), make("res_b", 100, "EUR", 0, 0), make("res_c", 100, "EUR", 0, 0),
                 make("res_a", 100, "EUR", 0, 0), make("res_e", 50, "EUR", 0, 0)};
    rank_sort(RANK_PRICE, it, 5, sizeof it[0]);
    static const char *const want[] = {"res_e", "res_a", "res_b", "res_c", "res_d"};
    assert_order(it, 5, want);
}

static void test_price_currency_breaks_equal_amounts(void **state)
{
    (void)state;
    item a = make("z", 100, "EUR", 0, 0), b = make("a", 100, "USD", 0, 0);
    assert_true(rank_compare(RANK_PRICE, &a.key, &b.key) < 0); /* EUR < USD before the id */
}

static void test_distance_ascending(void **state)
{
    (void)state;
    item it[] = {make("r1", 0, "EUR", 12.5, 0), make("r2", 0, "EUR", 0.3, 0), make("r3", 0, "EUR", 12.5, 0),
                 make("r0", 0, "EUR", 12.5, 0)};
    rank_sort(RANK_DISTANCE, it, 4, sizeof it[0]);
    static const char *const want[] = {"r2", "r0", "r1", "r3"};
    assert_order(it, 4, want);
}

static void test_rating_descending(void **state)
{
    (void)state;
    item it[] = {make("b", 0, "EUR", 0, 4.5), make("a", 0, "EUR", 0, 3.0), make("c", 0, "EUR", 0, 5.0),
                 make("d", 0, "EUR", 0, 4.5)};
    rank_sort(RANK_RATING, it, 4, sizeof it[0]);
    static const char *const want[] = {"c", "b", "d", "a"};
    assert_order(it, 4, want);
}

static void test_compare_is_a_total_order(void **state)
{
    (void)state;
    item a = make("x", 10, "EUR", 1, 1), b = make("y", 10, "EUR", 1, 1);
    for (int o = RANK_PRICE; o <= RANK_RATING; o++) {
        assert_true(rank_compare((rank_order)o, &a.key, &b.key) < 0);
        assert_true(rank_compare((rank_order)o, &b.key, &a.key) > 0);
        assert_int_equal(rank_compare((rank_order)o, &a.key, &a.key), 0);
    }
}

static void test_sort_is_deterministic_whatever_the_input_order(void **state)
{
    (void)state;
    item it[40], again[40];
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%02d", (i * 17) % 40);
        it[i] = make(id, (i % 4) * 100, "EUR", (double)(i % 3), (double)(i % 5));
    }
    for (int i = 0; i < 40; i++)
        again[i] = it[39 - i];
    for (int o = RANK_PRICE; o <= RANK_RATING; o++) {
        rank_sort((rank_order)o, it, 40, sizeof it[0]);
        rank_sort((rank_order)o, again, 40, sizeof again[0]);
        for (int i = 0; i < 40; i++)
            assert_string_equal(it[i].key.resource_id, again[i].key.resource_id);
        for (int i = 1; i < 40; i++)
            assert_true(rank_compare((rank_order)o, &it[i - 1].key, &it[i].key) < 0);
    }
}

static void test_sort_refs_matches_sort(void **state)
{
    (void)state;
    item it[12], copy[12];
    const rank_key *refs[12];
    for (int i = 0; i < 12; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%02d", (i * 5) % 12);
        it[i] = make(id, (i % 3) * 10, "EUR", (double)(i % 4), (double)(i % 2));
        refs[i] = &it[i].key;
    }
    memcpy(copy, it, sizeof it);
    rank_sort_refs(RANK_PRICE, refs, 12);
    rank_sort(RANK_PRICE, copy, 12, sizeof copy[0]);
    for (int i = 0; i < 12; i++)
        assert_string_equal(refs[i]->resource_id, copy[i].key.resource_id);
}

/* The first k of a page selection are exactly the first k of the full order, sorted,
 * and every key after them ranks after all of them; for every order and many k. */
static void test_select_refs_is_the_head_of_the_sort(void **state)
{
    (void)state;
    enum { N = 61 };
    item it[N];
    unsigned seed = 7;
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%03u-%02d", (unsigned)(rand_r(&seed) % 1000), i); /* unique: a total order */
        it[i] = make(id, (int64_t)(rand_r(&seed) % 7) * 100, rand_r(&seed) % 5 ? "EUR" : "CHF",
                     (double)(rand_r(&seed) % 9), (double)(rand_r(&seed) % 4));
    }
    for (int o = RANK_PRICE; o <= RANK_RATING; o++) {
        const rank_key *all[N], *sel[N];
        for (int i = 0; i < N; i++)
            all[i] = sel[i] = &it[i].key;
        rank_sort_refs((rank_order)o, all, N);
        size_t ks[] = {0, 1, 2, 20, 21, 60, 61, 100};
        for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
            size_t k = ks[t], head = k < N ? k : N;
            rank_select_refs((rank_order)o, sel, N, k);
            for (size_t i = 0; i < head; i++)
                assert_ptr_equal(sel[i], all[i]);
            for (size_t i = head; i < N && head > 0; i++)
                assert_true(rank_compare((rank_order)o, sel[head - 1], sel[i]) < 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_price_ascending_ties_by_id),
        cmocka_unit_test(test_price_currency_breaks_equal_amounts),
        cmocka_unit_test(test_distance_ascending),
        cmocka_unit_test(test_rating_descending),
        cmocka_unit_test(test_compare_is_a_total_order),
        cmocka_unit_test(test_sort_is_deterministic_whatever_the_input_order),
        cmocka_unit_test(test_sort_refs_matches_sort),
        cmocka_unit_test(test_select_refs_is_the_head_of_the_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
