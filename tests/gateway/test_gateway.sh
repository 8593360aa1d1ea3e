#!/usr/bin/env bash
# test_gateway.sh — the REST gateway end to end, as a client would use it: the four
# services in AUTH_MODE=jwt over mutual TLS (with_stack --tls), the gateway in front with
# its own client certificate, and curl through every route of the annotations with
# bearer tokens from bookingctl token; status codes, JSON bodies, error reasons, header
# stripping, X-Request-Id, the W3C traceparent and idempotency keys checked.
#
#   tests/gateway/test_gateway.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: test_gateway.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
ctl=$build/bookingctl/bookingctl
export JWT_ISSUER=gateway-test JWT_AUDIENCE=booking-platform

if [ "${2:-}" != --inside ]; then
  dir=$(mktemp -d /tmp/test-gateway-XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  "$root/tests/certs.sh" "$dir" payment-svc booking-svc search-svc expiry-svc gateway
  "$ctl" keygen --kid gw-test --private "$dir/key.jwk" --jwks "$dir/jwks.json" >/dev/null
  "$build/tests/with_stack" --env AUTH_MODE=jwt --env "JWKS_FILE=$dir/jwks.json" \
    --env "JWT_ISSUER=$JWT_ISSUER" --env "JWT_AUDIENCE=$JWT_AUDIENCE" --tls "$dir" \
    bash "${BASH_SOURCE[0]}" "$build" --inside "$dir"
  exit $?
fi

dir=$3
passed=0
failed=0
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
ok() { passed=$((passed + 1)); }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
GATEWAY_LISTEN=127.0.0.1:$port TLS_CA_FILE=$dir/ca.pem TLS_CERT_FILE=$dir/gateway.pem TLS_KEY_FILE=$dir/gateway.key \
  "$build/gateway/booking-gateway" >"$dir/gateway.log" 2>&1 &
gw_pid=$!
trap 'kill $gw_pid 2>/dev/null; wait $gw_pid 2>/dev/null || true' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

token() { BOOKING_DEV_KEY=$dir/key.jwk "$ctl" token --sub "$1" --role "$2" --ttl "${3:-600}"; }
ADMIN=$(token admin-1 admin)
ANA=$(token ana customer)
BEN=$(token ben customer)

# call METHOD PATH TOKEN [BODY] [CURL ARGS...]: sets $status; the body is in $dir/body
call() {
  local method=$1 path=$2 tok=$3 body=${4:-}
  shift 4 2>/dev/null || shift $#
  local args=(-s -o "$dir/body" -D "$dir/headers" -w '%{http_code}' -X "$method" "$base$path")
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  status=$(curl "${args[@]}" "$@")
}
field() { jq -r "$1" "$dir/body"; }
# expect STATUS JQ_FILTER VALUE WHAT
expect() {
  local got
  got=$(field "$2" 2>/dev/null || echo "(not JSON)")
  if [ "$status" = "$1" ] && [ "$got" = "$3" ]; then ok; else
    fail "$4: HTTP $status, $2 = $got (want $1, $3); body: $(head -c 400 "$dir/body")"
  fi
}

day() { date -u -d "@$(( $(date +%s) / 86400 * 86400 + $1 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ; }
FROM=$(day 30) TO=$(day 32) FAR=$(day 40)

# ---- resources (admin) ----
res='{"resource_type":"RESOURCE_TYPE_HOTEL_ROOM","name":"Gateway Inn","location":"Gatewayville","latitude":38.7,"longitude":-9.1,"capacity":4,"slot_minutes":1440,"time_zone":"UTC","rating":4.2,"base_price":{"currency":"EUR","amount_minor":10000}}'
call POST /api/resources "$ANA" "$res"
expect 403 '.details[0].reason' ADMIN_REQUIRED "customer creating a resource"
call POST /api/resources "$ANA" "$res" -H 'Grpc-Metadata-X-User-Role: admin' -H 'X-User-Role: admin' -H 'X-User-Id: admin-1'
expect 403 '.details[0].reason' ADMIN_REQUIRED "customer with forged identity headers (stripped by the gateway)"
call POST /api/resources "" "$res"
expect 401 '.details[0].reason' MISSING_TOKEN "no token"
call POST /api/resources "$ADMIN" "$res"
expect 200 '.name' "Gateway Inn" "admin creates a resource"
rid=$(field .resource_id)
call PATCH "/api/resources/$rid" "$ADMIN" '{"name":"Gateway Inn & Spa","rating":4.6,"base_price":{"currency":"EUR","amount_minor":12000}}'
expect 200 '.name' "Gateway Inn & Spa" "PATCH with the gateway's update mask"
expect 200 '.base_price.amount_minor' 12000 "PATCH changed the price"
expect 200 '.capacity' 4 "PATCH left the capacity alone"
call PATCH "/api/resources/$rid" "$ANA" '{"name":"Mine now"}'
expect 403 '.details[0].reason' ADMIN_REQUIRED "customer PATCH"
call POST "/api/resources/$rid/inventory" "$ADMIN" "{\"start_time\":\"$FAR\",\"end_time\":\"$(day 41)\",\"total_capacity\":2}"
expect 200 '.slots_updated' 1 "inventory"

# ---- search-svc (read model: may lag a moment) ----
for _ in $(seq 100); do
  call GET "/api/resources/$rid" "$ANA"
  [ "$status" = 200 ] && [ "$(field .name)" = "Gateway Inn & Spa" ] && break
  sleep 0.1
done
expect 200 '.name' "Gateway Inn & Spa" "GetResource"
call GET "/api/resources/$rid/slots?start_time=$FROM&end_time=$TO" "$ANA"
expect 200 '.slots | length' 2 "calendar"
expect 200 '.slots[0].available' 4 "calendar availability"
call GET "/api/availability?resource_type=RESOURCE_TYPE_HOTEL_ROOM&location=Gatewayville&start_time=$FROM&end_time=$TO&quantity=1" "$ANA"
expect 200 '.results[0].resource.resource_id' "$rid" "search"
call GET "/api/resources/res_missing" "$ANA"
expect 404 '.details[0].reason' RESOURCE_NOT_FOUND "unknown resource"

# ---- holds ----
hold="{\"user_id\":\"ana\",\"resource_id\":\"$rid\",\"start_time\":\"$FROM\",\"end_time\":\"$TO\",\"quantity\":1}"
call POST /api/holds "$ANA" "$hold" -H 'Idempotency-Key: gw-hold-1' -H 'X-Request-Id: gw-e2e-req-1' \
  -H 'Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
expect 200 '.status' HOLD_STATUS_ACTIVE "create hold"
hid=$(field .hold_id)
if grep -qi '^x-request-id: gw-e2e-req-1' "$dir/headers"; then ok; else fail "X-Request-Id not echoed"; fi
# the W3C trace went through: booking-svc's span of the same trace comes back
if grep -Eqi '^traceparent: 00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01' "$dir/headers"; then ok
else fail "Traceparent of the same trace not echoed"; fi
call POST /api/holds "$ANA" "$hold" -H 'Idempotency-Key: gw-hold-1'
expect 200 '.hold_id' "$hid" "idempotency key replays the hold"
call GET "/api/holds/$hid" "$ANA"
expect 200 '.quote.total.amount_minor' 24000 "get hold with its quote"
call GET "/api/holds/$hid" "$BEN"
expect 403 '.code' 7 "another user's hold"
call POST /api/holds "$ANA" "{\"user_id\":\"ana\",\"resource_id\":\"$rid\",\"start_time\":\"$TO\",\"end_time\":\"$FROM\",\"quantity\":1}"
expect 400 '.details[0].reason' INVALID_FIELD "end before start"
call POST /api/holds "$ANA" "${hold/\"quantity\":1/\"quantity\":2}"
hid2=$(field .hold_id)
call POST "/api/holds/$hid2/release" "$ANA" '{}'
expect 200 '.status' HOLD_STATUS_RELEASED "release hold"

# ---- bookings ----
call POST /api/bookings "$ANA" "{\"hold_id\":\"$hid\",\"payment_method_id\":\"pm_card_declined\"}"
expect 400 '.code' 9 "declined card: FAILED_PRECONDITION"
call POST /api/bookings "$ANA" "{\"hold_id\":\"$hid\",\"payment_method_id\":\"pm_card_ok\"}"
expect 200 '.status' BOOKING_STATUS_CONFIRMED "confirm"
bid=$(field .booking_id)
expect 200 '.payment_status' PAYMENT_STATUS_CAPTURED "captured"
call GET "/api/bookings/$bid" "$ANA"
expect 200 '.booking_id' "$bid" "get booking"
call GET "/api/bookings/$bid" "$BEN"
expect 403 '.code' 7 "another user's booking"
call GET "/api/users/ana/bookings?page_size=10" "$ANA"
expect 200 '.bookings[0].booking_id' "$bid" "list bookings"
call GET "/api/users/ana/bookings" "$BEN"
expect 403 '.code' 7 "another user's booking list"
call POST "/api/bookings/$bid/cancel" "$ANA" '{"reason":"plans changed"}'
expect 200 '.status' BOOKING_STATUS_CANCELLED "cancel"
call GET "/api/bookings/$bid/events" "$ANA"
expect 200 '[.events[].event_type] | index("booking.cancelled") != null' true "events of the booking"
call GET "/api/holds/$hid2/events" "$ANA"
expect 200 '.events | length > 0' true "events of a hold"
call GET "/api/bookings/bk_missing" "$ANA"
expect 404 '.code' 5 "unknown booking"

# ---- webhooks (admin); production rules: https only, never loopback ----
hook='{"url":"https://hooks.example.com/booking","event_types":["waitlist.offered"]}'
call POST /api/webhooks/endpoints "$ANA" "$hook"
expect 403 '.details[0].reason' ADMIN_REQUIRED "customer creating a webhook endpoint"
call POST /api/webhooks/endpoints "$ADMIN" '{"url":"http://127.0.0.1:9/hooks","event_types":["booking.confirmed"]}'
expect 400 '.details[0].metadata.field' url "loopback endpoint outside development mode"
call POST /api/webhooks/endpoints "$ADMIN" '{"url":"https://hooks.example.com/x","event_types":["booking.refunded"]}'
expect 400 '.details[0].metadata.field' 'event_types[0]' "unknown event type"
call POST /api/webhooks/endpoints "$ADMIN" "$hook" -H 'Idempotency-Key: gw-hook-1'
expect 200 '.status' WEBHOOK_ENDPOINT_STATUS_ENABLED "create a webhook endpoint"
eid=$(field .endpoint_id)
secret=$(field .secret)
call POST /api/webhooks/endpoints "$ADMIN" "$hook" -H 'Idempotency-Key: gw-hook-1'
expect 200 '.secret' "$secret" "idempotency key replays the endpoint and its secret"
call GET /api/webhooks/endpoints "$ADMIN"
expect 200 "[.endpoints[] | select(.endpoint_id == \"$eid\")] | length" 1 "list webhook endpoints"
expect 200 "[.endpoints[] | select(.secret != null and .secret != \"\")] | length" 0 "secrets are not listed"
call GET "/api/webhooks/endpoints/$eid/deliveries?page_size=5" "$ADMIN"
expect 200 '.deliveries | length' 0 "deliveries of an endpoint"
call GET "/api/webhooks/deliveries?status=WEBHOOK_DELIVERY_STATUS_FAILED" "$ADMIN"
expect 200 '.deliveries | length' 0 "deliveries of every endpoint"
call POST /api/webhooks/deliveries/whd_424242/redeliver "$ADMIN" '{}'
expect 404 '.details[0].reason' DELIVERY_NOT_FOUND "redeliver an unknown delivery"
call DELETE "/api/webhooks/endpoints/$eid" "$ADMIN"
expect 200 '.endpoint_id' "$eid" "delete a webhook endpoint"
call DELETE "/api/webhooks/endpoints/$eid" "$ADMIN"
expect 404 '.details[0].reason' ENDPOINT_NOT_FOUND "delete it again"

# ---- bad tokens ----
call GET "/api/bookings/$bid" "$(token ana customer -3600)"
expect 401 '.details[0].reason' TOKEN_EXPIRED "expired token"
call GET "/api/bookings/$bid" "not.a.token"
expect 401 '.details[0].reason' MALFORMED_TOKEN "garbage token"

echo "gateway e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
