/* reflection.c — the ServerReflectionInfo stream of grpc.reflection.v1 and v1alpha:
 * answers each request from the server's service list and descriptor pool. Lookup
 * misses are ErrorResponses inside the stream, never call failures. */
#include "builtin_services.h"

#include "descriptor_pool.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "rpc_server.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest reflection_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse reflection_response;

/* ErrorResponse{code, message} as the answer. */
static void answer_error(rpc_call *call, reflection_response *resp, rpc_code code, const char *message)
{
    Grpc__Reflection__V1__ErrorResponse *err =
        RPC_NEW(call, Grpc__Reflection__V1__ErrorResponse, grpc__reflection__v1__error_response__init);
    err->error_code = (int32_t)code;
    err->error_message = rpc_strdup(call, message);
    resp->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    resp->error_response = err;
}

static void answer_services(rpc_call *call, reflection_response *resp)
{
    const rpc_server *server = rpc_call_server(call);
    size_t n = rpc_server_service_count(server);
    Grpc__Reflection__V1__ListServiceResponse *list =
        RPC_NEW(call, Grpc__Reflection__V1__ListServiceResponse, grpc__reflection__v1__list_service_response__init);
    list->service = rpc_alloc(call, n * sizeof *list->service);
    for (size_t i = 0; i < n; i++) {
        Grpc__Reflection__V1__ServiceResponse *svc =
            RPC_NEW(call, Grpc__Reflection__V1__ServiceResponse, grpc__reflection__v1__service_response__init);
        svc->name = rpc_strdup(call, rpc_server_service_name(server, i));
        list->service[list->n_service++] = svc;
    }
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
    resp->list_services_response = list;
}

/* Answers with `file` and its transitive dependencies (as grpc-go does; clients need
 * them to build the file), or NOT_FOUND naming `what` when file is -1. The bytes point
 * into the server's descriptor set, which outlives every call. */
static void answer_file(rpc_call *call, const descriptor_pool *pool, int file, const char *what,
                        const char *name, reflection_response *resp)
{
    if (file < 0) {
        answer_error(call, resp, RPC_NOT_FOUND, rpc_sprintf(call, "%s not found: %s", what, name));
        return;
    }
    size_t *files = rpc_alloc(call, descriptor_pool_file_count(pool) * sizeof *files);
    size_t n = descriptor_pool_closure(pool, (size_t)file, files, descriptor_pool_file_count(pool));
    Grpc__Reflection__V1__FileDescriptorResponse *fdr = RPC_NEW(
        call, Grpc__Reflection__V1__FileDescriptorResponse, grpc__reflection__v1__file_descriptor_response__init);
    fdr->file_descriptor_proto = rpc_alloc(call, n * sizeof *fdr->file_descriptor_proto);
    for (size_t i = 0; i < n; i++) {
        ProtobufCBinaryData *out = &fdr->file_descriptor_proto[fdr->n_file_descriptor_proto++];
        out->data = (uint8_t *)descriptor_pool_file_bytes(pool, files[i], &out->len);
    }
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
    resp->file_descriptor_response = fdr;
}

static void answer_extension(rpc_call *call, const descriptor_pool *pool,
                             const Grpc__Reflection__V1__ExtensionRequest *ext, reflection_response *resp)
{
    const char *type = ext && ext->containing_type ? ext->containing_type : "";
    int number = ext ? ext->extension_number : 0;
    int file = descriptor_pool_find_extension(pool, type, number);
    answer_file(call, pool, file, "extension", rpc_sprintf(call, "%s(%d)", type, number), resp);
}

/* The numbers of every known extension of `type`; NOT_FOUND for an unknown type. */
static void answer_extension_numbers(rpc_call *call, const descriptor_pool *pool, const char *type,
                                     reflection_response *resp)
{
    if (descriptor_pool_find_symbol(pool, type) < 0) {
        answer_error(call, resp, RPC_NOT_FOUND, rpc_sprintf(call, "type not found: %s", type));
        return;
    }
    Grpc__Reflection__V1__ExtensionNumberResponse *numbers = RPC_NEW(
        call, Grpc__Reflection__V1__ExtensionNumberResponse, grpc__reflection__v1__extension_number_response__init);
    size_t n = descriptor_pool_extension_numbers(pool, type, NULL, 0);
    int *all = rpc_alloc(call, n * sizeof *all);
    descriptor_pool_extension_numbers(pool, type, all, n);
    numbers->extension_number = rpc_alloc(call, n * sizeof *numbers->extension_number);
    for (size_t i = 0; i < n; i++)
        numbers->extension_number[i] = all[i];
    numbers->n_extension_number = n;
    numbers->base_type_name = rpc_strdup(call, type);
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
    resp->all_extension_numbers_response = numbers;
}

/* Symbols may come with protobuf's leading dot (".booking.v1.Hold"); the pool has none. */
static const char *symbol_name(const char *s)
{
    if (!s)
        return "";
    return s[0] == '.' ? s + 1 : s;
}

/* One request of the stream, one response. original_request points at the request:
 * the runtime unpacked it into the call's memory, which outlives packing the reply. */
static int server_reflection_info(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage **response)
{
    const reflection_request *req = (const reflection_request *)request;
    const descriptor_pool *pool = rpc_server_descriptors(rpc_call_server(call));
    reflection_response *resp =
        RPC_NEW(call, reflection_response, grpc__reflection__v1__server_reflection_response__init);
    resp->valid_host = rpc_strdup(call, req->host);
    resp->original_request = (reflection_request *)req;
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        answer_services(call, resp);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        answer_file(call, pool, descriptor_pool_find_file(pool, req->file_by_filename), "file",
                    req->file_by_filename, resp);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL: {
        const char *symbol = symbol_name(req->file_containing_symbol);
        answer_file(call, pool, descriptor_pool_find_symbol(pool, symbol), "symbol", symbol, resp);
        break;
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        answer_extension(call, pool, req->file_containing_extension, resp);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        answer_extension_numbers(call, pool, symbol_name(req->all_extension_numbers_of_type), resp);
        break;
    default: /* unset, or a request kind newer than this server (as gRPC C++ answers) */
        answer_error(call, resp, RPC_UNIMPLEMENTED, "unsupported reflection request");
        break;
    }
    *response = &resp->base;
    return 0;
}

/* ---- method tables ---- */

static const rpc_method reflection_methods[] = {
    {"ServerReflectionInfo", server_reflection_info, RPC_ROLE_NONE, RPC_BIDI_STREAM, 0},
};

static const rpc_service reflection_v1 = {
    &grpc__reflection__v1__server_reflection__descriptor,
    reflection_methods,
    sizeof reflection_methods / sizeof reflection_methods[0],
};

/* v1alpha is v1 on the wire under another name; protoc-c generated only v1, whose
 * method array is static, so its one method is restated with v1's message types. */
static const ProtobufCMethodDescriptor v1alpha_methods[] = {
    {"ServerReflectionInfo", &grpc__reflection__v1__server_reflection_request__descriptor,
     &grpc__reflection__v1__server_reflection_response__descriptor},
};
static const unsigned v1alpha_method_indices_by_name[] = {0};

static const ProtobufCServiceDescriptor v1alpha_descriptor = {
    PROTOBUF_C__SERVICE_DESCRIPTOR_MAGIC,
    "grpc.reflection.v1alpha.ServerReflection",
    "ServerReflection",
    "Grpc__Reflection__V1alpha__ServerReflection",
    "grpc.reflection.v1alpha",
    sizeof v1alpha_methods / sizeof v1alpha_methods[0],
    v1alpha_methods,
    v1alpha_method_indices_by_name,
};

static const rpc_service reflection_v1alpha = {
    &v1alpha_descriptor,
    reflection_methods,
    sizeof reflection_methods / sizeof reflection_methods[0],
};

const rpc_service *reflection_service_v1(void) { return &reflection_v1; }
const rpc_service *reflection_service_v1alpha(void) { return &reflection_v1alpha; }
