#!/usr/bin/env bash
# t210: with the back office down, a register sells for cash and with a
# custom method (PromptPay QR) and refuses a card (75, nothing recorded);
# a `talad sync --watch` left running delivers every offline order exactly
# once when the back office comes back, without anyone forcing a sync.
. "$(dirname "$0")/lib.sh"

new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
SKU=$(tracked_sku)
set_level "$SKU" 100
reg "$H" sync >/dev/null || fail "sync after the stock count"

stop_server "$SERVER_PID"
reg "$H" status --json >"$T/st.json"
assert_eq 0 "$(jq -r .pending "$T/st.json")" "pending before selling"

# A card needs the back office: exit 75, and nothing is written.
rc=0
reg "$H" sell "$SKU" --pay card >"$T/card.out" 2>&1 || rc=$?
assert_eq 75 "$rc" "card payment while offline (exit status)"
grep -qi "cash" "$T/card.out" || fail "the card refusal does not name what still works: $(cat "$T/card.out")"
assert_eq 0 "$(reg_pending "$H")" "pending after a refused card"
assert_eq 0 "$(reg "$H" orders --json | jq 'if type == "array" then length else .orders | length end')" \
	"orders after a refused card"
ok "card refused offline with 75, nothing recorded"

# The worker runs from before the back office is back: nobody forces a sync.
"$TALAD" --home "$H" sync --watch >"$T/watch.log" 2>&1 & # $! is talad itself
WATCH=$!
PIDS+=("$WATCH")

reg "$H" sell "$SKU" --pay cash:1000 --json >"$T/s1.json" || fail "cash sale offline"
# PromptPay is confirmed by the cashier; --confirm does it for a script.
reg "$H" sell "$SKU*2" --pay "custom:PromptPay QR" --confirm "KBANK 0001" --json >"$T/s2.json" ||
	fail "PromptPay sale offline"
reg "$H" sell "custom:Gift wrap=20.00" "$SKU" --pay "custom:promptpay qr:10" --pay cash:50 \
	--confirm "SCB 0002" --json \
	>"$T/s3.json" || fail "mixed sale offline"
IDS=$(jq -rs '[.[].id] | sort | join(" ")' "$T/s1.json" "$T/s2.json" "$T/s3.json")
[ "$(wc -w <<<"$IDS")" = 3 ] || fail "three sales should give three order ids: $IDS"
assert_eq 3 "$(reg_pending "$H")" "pending offline"
kill -0 "$WATCH" 2>/dev/null || fail "the sync worker stopped while offline: $(cat "$T/watch.log")"
ok "three sales offline while the worker waits"

serve_again
arrived() {
	local got
	got=$(server_orders | jq -r '[.[].id] | sort | join(" ")')
	[ "$got" = "$IDS" ]
}
wait_until 45 arrived || fail "the offline orders did not reach the back office: $(server_orders | jq -c '[.[].number]')"
wait_until 20 test "$(reg_pending "$H")" = 0 || fail "the register still counts pending work"
ok "the worker pushed the offline orders by itself"

ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq 3 "$(jq length <<<"$ORDERS")" "orders on the back office"
assert_eq 96 "$(level "$SKU")" "level after 4 units sold offline"
assert_eq "PromptPay QR" "$(jq -r --arg id "$(jq -r .id "$T/s2.json")" \
	'.[] | select(.id == $id) | .payments[0] | select(.method == "custom") | .name' <<<"$ORDERS")" \
	"custom payment method on the back office"
assert_eq cash "$(jq -r --arg id "$(jq -r .id "$T/s1.json")" \
	'.[] | select(.id == $id) | .payments[0].method' <<<"$ORDERS")" "cash payment on the back office"

# Online now: a sale reaches the back office at once (pushed by `talad sell`
# itself or by the worker, whichever is first; never twice).
reg "$H" sell "$SKU" --pay cash --json >"$T/s4.json" || fail "sale online"
ID4=$(jq -r .id "$T/s4.json")
wait_until 30 eval 'server_orders | jq -e --arg id "$ID4" "any(.[]; .id == \$id)"' ||
	fail "a sale made online did not reach the back office"
ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq 4 "$(jq length <<<"$ORDERS")" "orders on the back office"
assert_eq 95 "$(level "$SKU")" "level after 5 units sold"
kill -0 "$WATCH" 2>/dev/null || fail "the sync worker died: $(cat "$T/watch.log")"
ok "every order once, stock decremented once"
