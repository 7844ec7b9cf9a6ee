#!/usr/bin/env bash
# t220: two registers each sell the last unit of an item while the back
# office is down; both orders are accepted when they sync (a sale made
# offline is a fact) and the level goes to -1, reported as oversold.
. "$(dirname "$0")/lib.sh"

new_shop
A="$T/reg-a"
B="$T/reg-b"
reg_login "$A" "Counter A" >"$T/login-a.out" 2>&1 || { cat "$T/login-a.out"; fail "login A"; }
reg_login "$B" "Counter B" >"$T/login-b.out" 2>&1 || { cat "$T/login-b.out"; fail "login B"; }
SKU=$(tracked_sku)
set_level "$SKU" 1
reg "$A" sync >/dev/null || fail "sync A"
reg "$B" sync >/dev/null || fail "sync B"
assert_eq 1 "$(level "$SKU")" "level before"
assert_eq false "$(level_oversold "$SKU")" "oversold before"

stop_server "$SERVER_PID"
reg "$A" sell "$SKU" --pay cash --json >"$T/a.json" || fail "sale on A offline"
reg "$B" sell "$SKU" --pay cash --json >"$T/b.json" || fail "sale on B offline"
ok "both registers sold the last unit offline"

serve_again
reg "$A" sync >"$T/sync-a.out" 2>&1 || { cat "$T/sync-a.out"; fail "sync A after the outage"; }
reg "$B" sync >"$T/sync-b.out" 2>&1 || { cat "$T/sync-b.out"; fail "sync B after the outage"; }
assert_eq 0 "$(reg_pending "$A")" "pending on A"
assert_eq 0 "$(reg_pending "$B")" "pending on B"

ORDERS=$(server_orders)
orders_once "$ORDERS"
for f in a b; do
	id=$(jq -r .id "$T/$f.json")
	jq -e --arg id "$id" 'any(.[]; .id == $id)' <<<"$ORDERS" >/dev/null ||
		fail "the order of register $f is not on the back office"
done
assert_eq 2 "$(jq length <<<"$ORDERS")" "orders on the back office"
assert_eq 0 "$(api_all /api/v1/rejections rejections | jq length)" "rejections recorded"
for h in "$A" "$B"; do
	assert_eq synced "$(reg "$h" orders --json | jq -r '(if type == "array" then . else .orders end) | .[0].status')" \
		"the order's status on the register"
done
ok "both orders accepted"

assert_eq -1 "$(level "$SKU")" "level after both sales"
assert_eq true "$(level_oversold "$SKU")" "oversold after both sales"
ok "level -1, reported oversold"
