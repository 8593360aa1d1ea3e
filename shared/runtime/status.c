/* status.c — code names and the google.rpc.Status/ErrorInfo encoding of errors. */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"

#define ERROR_INFO_TYPE_URL "type.googleapis.com/google.rpc.ErrorInfo"

static const char *const code_names[RPC_CODE_COUNT] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED"};

const char *rpc_code_name(int code)
{
    return code >= 0 && code < RPC_CODE_COUNT ? code_names[code] : "UNKNOWN";
}

void rpc_error_info_add(rpc_error_info *info, const char *key, const char *value)
{
    if (info->meta_count >= RPC_ERROR_META_MAX)
        return;
    snprintf(info->meta_key[info->meta_count], sizeof info->meta_key[0], "%s", key);
    snprintf(info->meta_value[info->meta_count], sizeof info->meta_value[0], "%s", value);
    info->meta_count++;
}

int rpc_status_details_pack(int code, const char *message, const rpc_error_info *info,
                            uint8_t **out, size_t *out_len)
{
    Google__Rpc__ErrorInfo ei = GOOGLE__RPC__ERROR_INFO__INIT;
    Google__Rpc__ErrorInfo__MetadataEntry entries[RPC_ERROR_META_MAX];
    Google__Rpc__ErrorInfo__MetadataEntry *entry_ptrs[RPC_ERROR_META_MAX];
    ei.reason = (char *)info->reason;
    ei.domain = (char *)RPC_ERROR_DOMAIN;
    for (size_t i = 0; i < info->meta_count; i++) {
        google__rpc__error_info__metadata_entry__init(&entries[i]);
        entries[i].key = (char *)info->meta_key[i];
        entries[i].value = (char *)info->meta_value[i];
        entry_ptrs[i] = &entries[i];
    }
    ei.n_metadata = info->meta_count;
    ei.metadata = entry_ptrs;

    uint8_t ei_buf[1024];
    size_t ei_len = google__rpc__error_info__get_packed_size(&ei);
    if (ei_len > sizeof ei_buf)
        return -1;
    google__rpc__error_info__pack(&ei, ei_buf);

    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
    Google__Protobuf__Any *details[1] = {&any};
    any.type_url = (char *)ERROR_INFO_TYPE_URL;
    any.value.data = ei_buf;
    any.value.len = ei_len;

    Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
    st.code = code;
    st.message = (char *)message;
    st.n_details = 1;
    st.details = details;
    *out_len = google__rpc__status__get_packed_size(&st);
    *out = malloc(*out_len ? *out_len : 1);
    if (!*out)
        return -1;
    google__rpc__status__pack(&st, *out);
    return 0;
}

static void error_info_copy(const Google__Rpc__ErrorInfo *ei, rpc_error_info *info)
{
    snprintf(info->reason, sizeof info->reason, "%s", ei->reason ? ei->reason : "");
    for (size_t i = 0; i < ei->n_metadata; i++)
        rpc_error_info_add(info, ei->metadata[i]->key, ei->metadata[i]->value);
}

int rpc_status_details_unpack(const uint8_t *data, size_t len, int *code, char *message,
                              size_t message_cap, rpc_error_info *info)
{
    memset(info, 0, sizeof *info);
    Google__Rpc__Status *st = google__rpc__status__unpack(NULL, len, data);
    if (!st)
        return -1;
    *code = st->code;
    snprintf(message, message_cap, "%s", st->message ? st->message : "");
    for (size_t i = 0; i < st->n_details; i++) {
        Google__Protobuf__Any *any = st->details[i];
        if (!any->type_url || strcmp(any->type_url, ERROR_INFO_TYPE_URL) != 0)
            continue;
        Google__Rpc__ErrorInfo *ei = google__rpc__error_info__unpack(NULL, any->value.len, any->value.data);
        if (ei) {
            error_info_copy(ei, info);
            google__rpc__error_info__free_unpacked(ei, NULL);
        }
        break;
    }
    google__rpc__status__free_unpacked(st, NULL);
    return 0;
}
