#!/usr/bin/env bash
# build.sh — builds the REST gateway offline from Debian's packages: Go code generated
# from protos/ (protoc-gen-go 1.3 with the grpc plugin, protoc-gen-grpc-gateway 1.6.4)
# into a GOPATH under OUT, plus main.go, compiled with golang-go in GOPATH mode; and the
# OpenAPI document from the same google.api.http annotations (protoc-gen-swagger), with
# title, version and the bearer scheme of openapi-info.json merged in.
#
#   gateway/build.sh OUT              OUT/booking-gateway and OUT/openapi.json
#   gateway/build.sh OUT --check      also fails when gateway/openapi.json is not current
#   gateway/build.sh OUT --update     also writes OUT/openapi.json to gateway/openapi.json
# Generated code is a build output: nothing under OUT is committed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=$(mkdir -p "${1:?usage: build.sh OUT [--check|--update]}" && cd "$1" && pwd)
mode=${2:-}
googleapis=${GOOGLEAPIS_DIR:-/usr/share/gocode/src/github.com/gogo/googleapis}
gocode=/usr/share/gocode
pkg_path=booking.local/gateway
gen_pkg=$pkg_path/gen/bookingv1
gopath=$out/gopath
pkg=$gopath/src/$pkg_path

protos=(booking/v1/common.proto booking/v1/booking.proto booking/v1/search.proto
        booking/v1/payment.proto booking/v1/expiry.proto booking/v1/webhook.proto)
# Go packages of every proto the contract imports (Debian's genproto and protobuf)
maps="Mgoogle/api/annotations.proto=google.golang.org/genproto/googleapis/api/annotations"
maps+=",Mgoogle/api/http.proto=google.golang.org/genproto/googleapis/api/annotations"
maps+=",Mgoogle/protobuf/field_mask.proto=google.golang.org/genproto/protobuf/field_mask"
maps+=",Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp"
for p in "${protos[@]}"; do maps+=",M$p=$gen_pkg"; done

rm -rf "$out/gen-tmp" "$pkg/gen" "$out/swagger"
mkdir -p "$out/gen-tmp" "$pkg/gen/bookingv1" "$out/swagger"
cd "$root/protos"
protoc -I . -I "$googleapis" -I /usr/include \
  --go_out="plugins=grpc,paths=source_relative,$maps:$out/gen-tmp" \
  --grpc-gateway_out="logtostderr=true,paths=source_relative,$maps:$out/gen-tmp" "${protos[@]}"
mv "$out"/gen-tmp/booking/v1/*.go "$pkg/gen/bookingv1/"
rm -rf "$out/gen-tmp"
cp "$here/main.go" "$pkg/main.go"

# The public REST API: the services with HTTP annotations.
protoc -I . -I "$googleapis" -I /usr/include \
  --swagger_out="logtostderr=true,allow_merge=true,merge_file_name=booking:$out/swagger" \
  booking/v1/booking.proto booking/v1/search.proto
jq -S --slurpfile info "$here/openapi-info.json" '. * $info[0]' "$out/swagger/booking.swagger.json" \
  >"$out/openapi.json"

export GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$gopath:$gocode"
[ -n "${HOME:-}" ] || export GOCACHE="$out/go-cache"
(cd "$pkg" && go build -o "$out/booking-gateway" .)

case "$mode" in
  --check)
    if ! diff -u "$here/openapi.json" "$out/openapi.json" >"$out/openapi.diff"; then
      cat "$out/openapi.diff" >&2
      echo "gateway/openapi.json is not current: run gateway/build.sh $out --update and commit it" >&2
      exit 1
    fi ;;
  --update) cp "$out/openapi.json" "$here/openapi.json" ;;
esac
