#!/usr/bin/python3
"""interop_test.py — a client that is not ours (Debian's python3-grpcio) talks to every
service: health checks and server reflection, v1 and v1alpha, then builds a request
type purely from descriptors the server sent (what grpcurl does with no proto files).

Run under tests/harness with_stack, which exports SEARCH_ADDR, BOOKING_ADDR, ... .
argv[1]: a FileDescriptorSet holding grpc/reflection/v1/reflection.proto (the client
needs the reflection protocol itself, as grpcurl has it compiled in).
"""
import os
import sys
import unittest

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SERVICES = {
    "SEARCH_ADDR": "booking.v1.SearchService",
    "BOOKING_ADDR": "booking.v1.BookingService",
    "PAYMENT_ADDR": "booking.v1.PaymentService",
    "EXPIRY_ADDR": "booking.v1.ExpiryService",
}


def load_pool(path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    return pool


def message_class(pool, name):
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(name))


class Interop(unittest.TestCase):
    pool = None

    def reflect(self, addr, requests, package="grpc.reflection.v1"):
        req_cls = message_class(self.pool, "grpc.reflection.v1.ServerReflectionRequest")
        resp_cls = message_class(self.pool, "grpc.reflection.v1.ServerReflectionResponse")
        with grpc.insecure_channel(addr) as channel:
            call = channel.stream_stream(
                f"/{package}.ServerReflection/ServerReflectionInfo",
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=resp_cls.FromString,
            )
            return list(call(iter([req_cls(**r) for r in requests]), timeout=10))

    def test_health_check_every_service(self):
        req_cls = message_class(self.pool, "grpc.health.v1.HealthCheckRequest")
        resp_cls = message_class(self.pool, "grpc.health.v1.HealthCheckResponse")
        for env, service in SERVICES.items():
            with grpc.insecure_channel(os.environ[env]) as channel:
                check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                            request_serializer=lambda m: m.SerializeToString(),
                                            response_deserializer=resp_cls.FromString)
                for name in ("", service):
                    self.assertEqual(check(req_cls(service=name), timeout=5).status, 1, (env, name))  # SERVING
                with self.assertRaises(grpc.RpcError) as err:
                    check(req_cls(service="no.such.Service"), timeout=5)
                self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_reflection_lists_services_v1_and_v1alpha(self):
        for env, service in SERVICES.items():
            for package in ("grpc.reflection.v1", "grpc.reflection.v1alpha"):
                (resp,) = self.reflect(os.environ[env], [{"list_services": ""}], package)
                names = {s.name for s in resp.list_services_response.service}
                self.assertIn(service, names)
                self.assertIn("grpc.health.v1.Health", names)
                self.assertIn("grpc.reflection.v1.ServerReflection", names)
                self.assertIn("grpc.reflection.v1alpha.ServerReflection", names)

    def test_descriptors_from_reflection_alone(self):
        """Resolve the booking service from reflection only and build its messages."""
        addr = os.environ["BOOKING_ADDR"]
        (resp,) = self.reflect(addr, [{"file_containing_symbol": "booking.v1.BookingService"}])
        files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                 for b in resp.file_descriptor_response.file_descriptor_proto]
        pool = descriptor_pool.DescriptorPool()
        pending = {f.name: f for f in files}
        while pending:  # add each file after its dependencies, as a client must
            ready = [f for f in pending.values() if all(d not in pending for d in f.dependency)]
            self.assertTrue(ready, "reflection returned a file whose imports are missing")
            for f in ready:
                pool.Add(f)
                del pending[f.name]
        svc = pool.FindServiceByName("booking.v1.BookingService")
        methods = {m.name for m in svc.methods}
        self.assertTrue({"CreateHold", "ConfirmBooking", "CancelBooking", "ListEvents"} <= methods)
        hold_req = message_class(pool, "booking.v1.CreateHoldRequest")(resource_id="r1", quantity=2)
        self.assertEqual(type(hold_req).FromString(hold_req.SerializeToString()).quantity, 2)

    def test_reflection_errors_stay_in_the_stream(self):
        addr = os.environ["SEARCH_ADDR"]
        responses = self.reflect(addr, [{"file_by_filename": "nope.proto"},
                                        {"file_containing_symbol": "booking.v1.Nope"},
                                        {"file_by_filename": "booking/v1/search.proto"}])
        self.assertEqual([r.error_response.error_code for r in responses[:2]], [5, 5])
        names = [descriptor_pb2.FileDescriptorProto.FromString(b).name
                 for b in responses[2].file_descriptor_response.file_descriptor_proto]
        self.assertEqual(names[0], "booking/v1/search.proto")
        self.assertIn("booking/v1/common.proto", names)

    def test_unimplemented_method_has_status_details(self):
        addr = os.environ["PAYMENT_ADDR"]
        with grpc.insecure_channel(addr) as channel:
            call = channel.unary_unary("/booking.v1.PaymentService/NoSuchMethod")
            with self.assertRaises(grpc.RpcError) as err:
                call(b"", timeout=5)
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
        details = dict(err.exception.trailing_metadata()).get("grpc-status-details-bin")
        self.assertIsNotNone(details, "google.rpc.Status details missing")
        status = message_class(self.pool, "google.rpc.Status").FromString(details)
        self.assertEqual(status.code, 12)
        info = message_class(self.pool, "google.rpc.ErrorInfo")()
        self.assertTrue(status.details[0].Unpack(info))
        self.assertEqual(info.reason, "UNKNOWN_METHOD")
        self.assertEqual(info.domain, "booking.v1")


if __name__ == "__main__":
    Interop.pool = load_pool(sys.argv.pop(1))
    unittest.main(verbosity=2)
