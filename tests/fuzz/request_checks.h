/* request_checks.h — the pure validation of each hosted method, for fuzz_requests. */
#ifndef TESTS_FUZZ_REQUEST_CHECKS_H
#define TESTS_FUZZ_REQUEST_CHECKS_H

#include "fuzz_support.h"

/* Runs the services' own validators on a decoded request of method m (one whose
 * strings passed proto_check, as rpc_server.c guarantees before a handler runs), and
 * checks what they promise. Methods without pure validation return at once. The
 * request may be changed (validators fill in defaults). */
void request_check(const fuzz_method *m, ProtobufCMessage *request);

#endif
