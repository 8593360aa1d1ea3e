/* test_search_geo.c — haversine distances of known city pairs, the antimeridian and
 * the poles, and the grid cells a search circle covers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "geo.h"

/* within `pct` percent of the expected value */
static void assert_close(double got, double want, double pct)
{
    double err = fabs(got - want) / want * 100;
    if (err > pct)
        fail_msg("%.3f km is %.3f %% away from %.3f km", got, err, want);
}

static void test_known_city_pairs(void **state)
{
    (void)state;
    /* published great-circle (geodesic) distances */
    assert_close(geo_distance_km(51.5074, -0.1278, 48.8566, 2.3522), 344.0, 0.5);       /* London - Paris */
    assert_close(geo_distance_km(40.7128, -74.0060, 34.0522, -118.2437), 3944.0, 0.5);  /* New York - Los Angeles */
    assert_close(geo_distance_km(-33.8688, 151.2093, -36.8485, 174.7633), 2156.0, 0.5); /* Sydney - Auckland */
    assert_close(geo_distance_km(35.6762, 139.6503, 1.3521, 103.8198), 5312.0, 0.5);    /* Tokyo - Singapore */
}

static void test_symmetry_and_zero(void **state)
{
    (void)state;
    assert_true(geo_distance_km(38.72, -9.14, 38.72, -9.14) < 1e-9);
    double ab = geo_distance_km(38.72, -9.14, 41.15, -8.61), ba = geo_distance_km(41.15, -8.61, 38.72, -9.14);
    assert_true(fabs(ab - ba) < 1e-9);
    /* antipodes: half the circumference */
    assert_close(geo_distance_km(0, 0, 0, 180), M_PI * GEO_EARTH_RADIUS_KM, 0.001);
    assert_close(geo_distance_km(90, 0, -90, 0), M_PI * GEO_EARTH_RADIUS_KM, 0.001);
}

static void test_antimeridian(void **state)
{
    (void)state;
    /* 0.2 degrees of longitude apart at the equator, not 359.8 */
    double d = geo_distance_km(0, 179.9, 0, -179.9);
    assert_close(d, 22.24, 0.1);
    assert_close(geo_distance_km(-18.1, 178.4, -13.8, -171.8), 1151.3, 0.1); /* Fiji - Samoa */
    /* a longitude written past 180 is the same meridian */
    assert_true(fabs(geo_distance_km(10, 190, 10, -170)) < 1e-6);
}

static int covers(const geo_cover *c, double lat, double lon)
{
    int cols[GEO_COLS], n = geo_cover_cols(c, cols), row = geo_row(lat), col = geo_col(lon);
    if (row < c->row_lo || row > c->row_hi)
        return 0;
    for (int i = 0; i < n; i++)
        if (cols[i] == col)
            return 1;
    return 0;
}

static void test_cells(void **state)
{
    (void)state;
    assert_int_equal(geo_row(-90), 0);
    assert_int_equal(geo_row(90), GEO_ROWS - 1);
    assert_int_equal(geo_col(-180), 0);
    assert_int_equal(geo_col(180), 0); /* the same meridian as -180 */
    assert_int_equal(geo_col(179.99), GEO_COLS - 1);
    assert_int_equal(geo_col(-0.5), 179);
    assert_true(geo_point_valid(90, -180));
    assert_false(geo_point_valid(90.1, 0));
    assert_false(geo_point_valid(NAN, 0));
}

static void test_cover_small_circle(void **state)
{
    (void)state;
    geo_cover c;
    geo_cover_circle(38.72, -9.14, 25, &c); /* Lisbon, 25 km */
    int cols[GEO_COLS];
    assert_false(c.all_cols);
    assert_true(geo_cover_cols(&c, cols) <= 2);
    assert_true(c.row_hi - c.row_lo <= 1);
    assert_true(covers(&c, 38.72, -9.14));
    assert_true(covers(&c, 38.9, -9.3)); /* ~25 km away */
}

static void test_cover_wraps_the_antimeridian(void **state)
{
    (void)state;
    geo_cover c;
    geo_cover_circle(0, 179.9, 50, &c);
    assert_false(c.all_cols);
    assert_true(c.col_lo > c.col_hi); /* wraps east past 359 to 0 */
    assert_true(covers(&c, 0, -179.9));
    assert_true(covers(&c, 0, 179.7));
    assert_false(covers(&c, 0, 0));
}

static void test_cover_near_the_pole_and_huge(void **state)
{
    (void)state;
    geo_cover c;
    geo_cover_circle(89.5, 10, 100, &c); /* the pole is inside */
    assert_true(c.all_cols);
    assert_int_equal(c.row_hi, GEO_ROWS - 1);
    geo_cover_circle(0, 0, GEO_MAX_RADIUS_KM, &c);
    assert_true(c.all_cols);
    assert_int_equal(c.row_lo, 0);
    assert_int_equal(c.row_hi, GEO_ROWS - 1);
    /* high latitude: a small circle spans many degrees of longitude */
    geo_cover_circle(80, 0, 300, &c);
    int cols[GEO_COLS];
    assert_true(geo_cover_cols(&c, cols) >= 30);
    assert_true(covers(&c, 80, 15));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_city_pairs),
        cmocka_unit_test(test_symmetry_and_zero),
        cmocka_unit_test(test_antimeridian),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_cover_small_circle),
        cmocka_unit_test(test_cover_wraps_the_antimeridian),
        cmocka_unit_test(test_cover_near_the_pole_and_huge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
