/* geo.c — haversine distance and the grid cover of a search circle. */
#include "geo.h"

#include <math.h>

#define DEG (M_PI / 180.0)
#define MARGIN_DEG 0.01 /* cells are chosen generously; the exact distance filters afterwards */

double geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    double dlat = (lat2 - lat1) * DEG, dlon = (lon2 - lon1) * DEG;
    double s1 = sin(dlat / 2), s2 = sin(dlon / 2); /* sin^2 is periodic: the antimeridian needs nothing */
    double a = s1 * s1 + cos(lat1 * DEG) * cos(lat2 * DEG) * s2 * s2;
    if (a > 1)
        a = 1;
    return 2 * GEO_EARTH_RADIUS_KM * asin(sqrt(a));
}

int geo_point_valid(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

int geo_row(double lat)
{
    int row = (int)floor(lat + 90);
    return row < 0 ? 0 : row >= GEO_ROWS ? GEO_ROWS - 1 : row;
}

int geo_col(double lon)
{
    double x = fmod(lon + 180, 360);
    if (x < 0)
        x += 360;
    int col = (int)floor(x);
    return col >= GEO_COLS ? 0 : col;
}

/* The half-width in degrees of longitude of a spherical cap of angular radius d
 * (radians) centred at latitude lat, or -1 when the cap spans every longitude. */
static double lon_half_width(double lat, double d)
{
    double c = cos(lat * DEG);
    if (c <= 0)
        return -1;
    double s = sin(d) / c;
    return s >= 1 ? -1 : asin(s) / DEG;
}

void geo_cover_circle(double lat, double lon, double radius_km, geo_cover *out)
{
    double d = radius_km / GEO_EARTH_RADIUS_KM; /* angular radius */
    double dd = d / DEG + MARGIN_DEG;
    double lo = lat - dd, hi = lat + dd;
    out->row_lo = geo_row(lo);
    out->row_hi = geo_row(hi);
    double half = d >= M_PI / 2 || lo <= -90 || hi >= 90 ? -1 : lon_half_width(lat, d);
    out->all_cols = half < 0 || half + MARGIN_DEG >= 180;
    out->col_lo = out->all_cols ? 0 : geo_col(lon - half - MARGIN_DEG);
    out->col_hi = out->all_cols ? GEO_COLS - 1 : geo_col(lon + half + MARGIN_DEG);
}

int geo_cover_cols(const geo_cover *c, int *cols)
{
    int n = 0;
    if (c->all_cols) {
        for (int i = 0; i < GEO_COLS; i++)
            cols[n++] = i;
        return n;
    }
    for (int col = c->col_lo;; col = (col + 1) % GEO_COLS) {
        cols[n++] = col;
        if (col == c->col_hi || n == GEO_COLS)
            break;
    }
    return n;
}
