/* geo.h — great-circle distances (haversine on a sphere of the Earth's mean radius)
 * and the 1-degree grid cells a search circle may touch, across the antimeridian and
 * the poles. Pure. */
#ifndef SEARCH_SVC_GEO_H
#define SEARCH_SVC_GEO_H

#define GEO_EARTH_RADIUS_KM 6371.0088  /* IUGG mean radius */
#define GEO_MAX_RADIUS_KM 20016.0      /* half the circumference: the whole Earth */
#define GEO_ROWS 180                   /* 1-degree latitude bands, row 0 = [-90, -89) */
#define GEO_COLS 360                   /* 1-degree longitude bands, col 0 = [-180, -179) */

/* Distance in km between two points given in degrees (longitudes may be any real). */
double geo_distance_km(double lat1, double lon1, double lat2, double lon2);

/* 1 when lat is in [-90, 90] and lon in [-180, 180] (both finite). */
int geo_point_valid(double lat, double lon);

/* The grid cell of a point: row 0..179, column 0..359 (longitude wrapped). */
int geo_row(double lat);
int geo_col(double lon);

/* The cells a circle can touch: rows row_lo..row_hi and, unless all_cols, columns
 * col_lo..col_hi going east, wrapping past 359 to 0 when col_lo > col_hi. */
typedef struct geo_cover {
    int row_lo, row_hi;
    int col_lo, col_hi;
    int all_cols;
} geo_cover;

void geo_cover_circle(double lat, double lon, double radius_km, geo_cover *out);

/* The columns of a cover, in order, written into cols (room for GEO_COLS); returns how many. */
int geo_cover_cols(const geo_cover *c, int *cols);

#endif
