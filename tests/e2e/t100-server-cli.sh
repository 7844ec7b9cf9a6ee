#!/usr/bin/env bash
# t100: talad-server's command line: usage and --help, exit codes (0 ok,
# 1 error, 2 bad usage), init and demo (refusing an initialised directory),
# the demo shop's contents, serve's request log and clean shutdown.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server-lib.sh"

# expect_exit CODE WHAT COMMAND...: runs the command, output in $T/out.
expect_exit() {
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>&1 </dev/null || rc=$?
	[ "$rc" = "$want" ] || { cat "$T/out" >&2; fail "$what: exit $rc, expected $want"; }
}

expect_exit 2 "no command" "$TALAD_SERVER"
grep -q "usage: talad-server" "$T/out" || fail "no usage without a command"
expect_exit 0 "--help" "$TALAD_SERVER" --help
grep -q "talad-server init" "$T/out" || fail "--help does not list init"
for c in init demo serve; do
	expect_exit 0 "$c --help" "$TALAD_SERVER" "$c" --help
	grep -q "usage: talad-server $c" "$T/out" || fail "$c --help shows no usage"
done
expect_exit 2 "unknown command" "$TALAD_SERVER" frobnicate
grep -q "unknown command 'frobnicate'" "$T/out" || fail "unknown command message"
expect_exit 0 "--version" "$TALAD_SERVER" --version
ok "usage, --help and unknown commands"

export TALAD_PASSWORD=secret-pass-1
expect_exit 2 "init without arguments" "$TALAD_SERVER" init
grep -q "are required" "$T/out" || fail "init without arguments: no message"
expect_exit 2 "init with an unknown option" "$TALAD_SERVER" init --data "$T/x" --shop S \
	--owner-email o@x.example --colour red
grep -q "unknown option '--colour'" "$T/out" || fail "unknown option message"
expect_exit 2 "init with a missing value" "$TALAD_SERVER" init --data "$T/x" --shop
expect_exit 2 "init with a bad currency" "$TALAD_SERVER" init --data "$T/x" --shop S \
	--owner-email o@x.example --currency XYZ
grep -q "unknown currency 'XYZ'" "$T/out" || fail "bad currency message"
expect_exit 2 "init with a bad tax rate" "$TALAD_SERVER" init --data "$T/x" --shop S \
	--owner-email o@x.example --tax-rate 7.123456
expect_exit 2 "init with a bad e-mail" "$TALAD_SERVER" init --data "$T/x" --shop S \
	--owner-email nobody
expect_exit 2 "init with both tax modes" "$TALAD_SERVER" init --data "$T/x" --shop S \
	--owner-email o@x.example --tax-included --tax-excluded
expect_exit 2 "init with a bad rounding" "$TALAD_SERVER" init --data "$T/x" --shop S \
	--owner-email o@x.example --tax-rounding sometimes
TALAD_PASSWORD=short expect_exit 2 "init with a short password" "$TALAD_SERVER" init \
	--data "$T/x" --shop S --owner-email o@x.example
grep -q "at least 8" "$T/out" || fail "short password message"
(unset TALAD_PASSWORD; expect_exit 2 "init without a password or terminal" setsid -w \
	"$TALAD_SERVER" init --data "$T/x" --shop S --owner-email o@x.example)
grep -q "TALAD_PASSWORD" "$T/out" || fail "no-password message"
[ ! -e "$T/x/talad.db" ] || fail "a failed init left a database"
ok "init refuses bad usage with 2 and writes nothing"

expect_exit 0 "init" "$TALAD_SERVER" init --data "$T/shop" --shop "Corner Shop" \
	--owner-email Owner@Corner.example --currency USD --tax-rate 8.875 --tax-excluded \
	--tax-rounding order --location "Main Street"
[ -f "$T/shop/talad.db" ] || fail "init made no database"
expect_exit 1 "init of an initialised directory" "$TALAD_SERVER" init --data "$T/shop" \
	--shop Again --owner-email o@x.example
grep -q "already initialised" "$T/out" || fail "init twice: no message"
expect_exit 1 "demo in an initialised directory" "$TALAD_SERVER" demo --data "$T/shop"
ok "init, and no second init over it"

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
start_server "$T/shop" "$PORT"
OWNER=$(staff_token "$URL" owner@corner.example secret-pass-1)
[ -n "$OWNER" ] && [ "$OWNER" != null ] || fail "the owner of init cannot log in"
SHOP=$(api GET "$URL/api/v1/shop" "$OWNER")
assert_eq "Corner Shop|USD|8.875|false|order" \
	"$(jq -r '.shop | [.name, .currency, .tax_rate, .tax_included, .tax_rounding] | join("|")' <<<"$SHOP")" \
	"settings from init"
assert_eq "Main Street" "$(api GET "$URL/api/v1/locations" "$OWNER" | jq -r '.locations[0].name')" \
	"location from init"
stop_server "$SERVER_PID"
ok "the settings given to init are the shop's"

expect_exit 2 "demo without --data" "$TALAD_SERVER" demo
expect_exit 0 "demo" "$TALAD_SERVER" demo --data "$T/demo"
grep -q "TALAD_PASSWORD=demo1234 .*talad login http://127.0.0.1:8080 --email cashier@demo.example" \
	"$T/out" || { cat "$T/out"; fail "demo does not say how to log a register in"; }
grep -q "talad-server serve --data $T/demo" "$T/out" || fail "demo does not say how to serve"
expect_exit 1 "demo twice" "$TALAD_SERVER" demo --data "$T/demo"
ok "demo prints how to start and log in"

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
TALAD_LOG=info start_server "$T/demo" "$PORT"
OWNER=$(staff_token "$URL" owner@demo.example demo1234)
CASHIER=$(staff_token "$URL" cashier@demo.example demo1234)
[ "$OWNER" != null ] && [ "$CASHIER" != null ] || fail "the demo staff cannot log in"
SHOP=$(api GET "$URL/api/v1/shop" "$OWNER")
assert_eq "Talad Demo Market|THB|7|true|0105558000001|ตลาดเดโม" \
	"$(jq -r '.shop | [.name, .currency, .tax_rate, .tax_included, .tax_id, .receipt_header] | join("|")' <<<"$SHOP")" \
	"demo shop settings"
[ -n "$(jq -r .shop.address <<<"$SHOP")" ] || fail "the demo shop has no address"
assert_eq "หน้าร้าน (Front store)" "$(api GET "$URL/api/v1/locations" "$OWNER" | jq -r '.locations[0].name')" \
	"demo location"
LOC=$(api GET "$URL/api/v1/locations" "$OWNER" | jq -r '.locations[0].id')
PRODUCTS=$(api_all /api/v1/products products)
n=$(jq length <<<"$PRODUCTS")
[ "$n" -ge 50 ] || fail "the demo has $n products, fewer than 50"
[ "$(jq '[.[] | select((.variants | length) >= 2)] | length' <<<"$PRODUCTS")" -ge 3 ] ||
	fail "the demo has too few products with variants"
jq -e 'all(.[]; .title | test("[ก-๙]") and test("[A-Za-z]"))' <<<"$PRODUCTS" >/dev/null ||
	fail "a demo product lacks a Thai or an English title"
jq -e '[.[].variants[]] | all(.sku != "" and (.barcode | test("^885[0-9]{10}$")))' \
	<<<"$PRODUCTS" >/dev/null || fail "a demo variant lacks a SKU or an 885 EAN-13"
for code in $(jq -r '.[].variants[].barcode' <<<"$PRODUCTS"); do
	sum=0
	for i in $(seq 0 11); do
		d=${code:$i:1}
		sum=$((sum + (i % 2 ? 3 * d : d)))
	done
	[ "${code:12:1}" = $(((10 - sum % 10) % 10)) ] || fail "bad check digit in $code"
done
assert_eq "$(jq '[.[].variants[].barcode] | length' <<<"$PRODUCTS")" \
	"$(jq '[.[].variants[].barcode] | unique | length' <<<"$PRODUCTS")" "unique demo barcodes"
LEVELS=$(api_all "/api/v1/inventory?location=$LOC" levels)
[ "$(jq '[.[] | select(.available <= 1)] | length' <<<"$LEVELS")" -ge 2 ] ||
	fail "no demo stock level at 0 or 1"
assert_eq "PromptPay QR,Bank transfer" \
	"$(api GET "$URL/api/v1/payment-methods" "$OWNER" | jq -r '[.payment_methods[].name] | join(",")')" \
	"demo payment methods"
STAFF=$(api GET "$URL/api/v1/staff" "$OWNER")
assert_eq "owner:true,cashier:true" \
	"$(jq -r '[.staff[] | "\(.role):\(.has_pin)"] | join(",")' <<<"$STAFF")" "demo staff with PINs"
ok "the demo shop: $n products, EAN-13 885 barcodes, stock, staff, payment methods"

grep -q "info: GET /api/v1/health 200" "$T/server-$PORT.log" || fail "no request log line"
kill -TERM "$SERVER_PID"
rc=0
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "the server ignores SIGTERM"
wait "$SERVER_PID" || rc=$?
assert_eq 0 "$rc" "exit status after SIGTERM"
grep -q "stopped" "$T/server-$PORT.log" || fail "no clean stop on SIGTERM"

start_server "$T/demo" "$PORT"
# A long poll in flight must not hold up the shutdown.
enrol Till
curl -sS -m 30 -H "Authorization: Bearer $RT" "$URL/api/v1/sync/changes?since=0&wait=30" \
	>/dev/null 2>&1 &
sleep 0.3
kill -INT "$SERVER_PID"
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "the server ignores SIGINT during a long poll"
rc=0
wait "$SERVER_PID" || rc=$?
assert_eq 0 "$rc" "exit status after SIGINT"
ok "request log, clean shutdown on SIGTERM and SIGINT"

expect_exit 2 "serve without --data" "$TALAD_SERVER" serve
expect_exit 1 "serve of an empty directory" "$TALAD_SERVER" serve --data "$T/nothing" \
	--listen "127.0.0.1:$PORT"
grep -q "not initialised" "$T/out" || fail "serve of nothing: no message"
expect_exit 2 "serve with a bad address" "$TALAD_SERVER" serve --data "$T/demo" --listen nowhere
expect_exit 2 "serve with a bad port" "$TALAD_SERVER" serve --data "$T/demo" \
	--listen 127.0.0.1:99999
expect_exit 2 "serve with a bad --feed-keep" "$TALAD_SERVER" serve --data "$T/demo" \
	--feed-keep 0
start_server "$T/demo" "$PORT"
expect_exit 1 "serve on a port in use" "$TALAD_SERVER" serve --data "$T/demo" \
	--listen "127.0.0.1:$PORT"
grep -q "cannot listen" "$T/out" || fail "port in use: no message"
ok "serve refuses bad usage (2) and what it cannot do (1)"
