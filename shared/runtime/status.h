/* status.h — gRPC status codes, their names, and google.rpc.Status details (ErrorInfo). */
#ifndef SHARED_STATUS_H
#define SHARED_STATUS_H

#include <stddef.h>
#include <stdint.h>

/* The gRPC status codes, numbered as on the wire. */
typedef enum rpc_code {
    RPC_OK = 0,
    RPC_CANCELLED = 1,
    RPC_UNKNOWN = 2,
    RPC_INVALID_ARGUMENT = 3,
    RPC_DEADLINE_EXCEEDED = 4,
    RPC_NOT_FOUND = 5,
    RPC_ALREADY_EXISTS = 6,
    RPC_PERMISSION_DENIED = 7,
    RPC_RESOURCE_EXHAUSTED = 8,
    RPC_FAILED_PRECONDITION = 9,
    RPC_ABORTED = 10,
    RPC_OUT_OF_RANGE = 11,
    RPC_UNIMPLEMENTED = 12,
    RPC_INTERNAL = 13,
    RPC_UNAVAILABLE = 14,
    RPC_DATA_LOSS = 15,
    RPC_UNAUTHENTICATED = 16,
} rpc_code;

#define RPC_CODE_COUNT 17
#define RPC_ERROR_DOMAIN "booking.v1"
#define RPC_ERROR_META_MAX 4

/* "INVALID_ARGUMENT" for 3; "UNKNOWN" for codes out of range. */
const char *rpc_code_name(int code);

/* Machine-readable reason of a failure, sent as google.rpc.ErrorInfo. */
typedef struct rpc_error_info {
    char reason[64];  /* UPPER_SNAKE_CASE, e.g. "INSUFFICIENT_AVAILABILITY"; "" = none */
    size_t meta_count;
    char meta_key[RPC_ERROR_META_MAX][32];
    char meta_value[RPC_ERROR_META_MAX][128];
} rpc_error_info;

/* Adds key=value to the ErrorInfo metadata; ignored when full. */
void rpc_error_info_add(rpc_error_info *info, const char *key, const char *value);

/* Serialises google.rpc.Status{code, message, details=[ErrorInfo]} into a malloc'd
 * buffer (the value of grpc-status-details-bin). Caller frees *out. Returns 0/-1. */
int rpc_status_details_pack(int code, const char *message, const rpc_error_info *info,
                            uint8_t **out, size_t *out_len);

/* Parses a grpc-status-details-bin value back into code, message and ErrorInfo
 * (clients and tests). Returns 0, or -1 when the bytes are not a Status. */
int rpc_status_details_unpack(const uint8_t *data, size_t len, int *code, char *message,
                              size_t message_cap, rpc_error_info *info);

#endif
