/* booking_schema.h — what every service reading or writing the booking schema shares:
 * the local stack's default URL of it (./dev up). */
#ifndef SHARED_DOMAIN_BOOKING_SCHEMA_H
#define SHARED_DOMAIN_BOOKING_SCHEMA_H

/* booking-svc, search-svc and expiry-svc connect to it as booking_svc. */
#define BOOKING_DATABASE_URL_DEFAULT "postgresql://booking_svc@127.0.0.1:15432/booking"

#endif
