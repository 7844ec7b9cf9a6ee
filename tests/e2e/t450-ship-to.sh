#!/usr/bin/env bash
# t450: `talad sell ... --ship-to "NAME, ADDRESS" --email E` records the order
# on the back office with an unfulfilled shipping fulfilment and the address
# (GET /api/v1/orders/{id} shows it), with cash or with a card. Offline: exit
# 75 before any payment is taken -- no order, no authorization.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pay-lib.sh"

new_shop
H="$T/reg"
card_reg "$H" "Counter 1"
SKU=$(tracked_sku)
ADDR="Somchai Jaidee, 99/9 Sukhumvit Rd, Khlong Toei, Bangkok 10110"

sale=$(reg "$H" sell "$SKU" --pay cash --ship-to "$ADDR" --email somchai@example.com --json) ||
	fail "ship-to with cash: $sale"
assert_eq synced "$(jq -r .status <<<"$sale")" "shipped sale status"
ORDER=$(server_order "$(jq -r .id <<<"$sale")")
assert_eq "$ADDR" "$(jq -r .ship_to <<<"$ORDER")" "ship_to on the back office"
assert_eq "1 shipping unfulfilled somchai@example.com" \
	"$(jq -r '"\(.fulfilments | length) \(.fulfilments[0].type) \(.fulfilments[0].status) \(.fulfilments[0].email)"' <<<"$ORDER")" \
	"the fulfilment"
assert_eq "$ADDR" "$(jq -r '.fulfilments[0].address' <<<"$ORDER")" "the fulfilment's address"
LISTED=$(server_orders | jq -c --arg id "$(jq -r .id <<<"$sale")" '.[] | select(.id == $id)')
assert_eq unfulfilled "$(jq -r '.fulfilments[0].status' <<<"$LISTED")" "the fulfilment in the order list"
out=$(reg "$H" sell "$SKU" --pay cash --ship-to "$ADDR" --email somchai@example.com) || fail "$out"
grep -q "to be shipped" <<<"$out" || fail "the cashier is not told: $out"
ok "shipped with cash: the order carries the address and an unfulfilled shipping fulfilment"

sale=$(reg "$H" sell "custom:Gift box=450.00" --pay card --ship-to "$ADDR" --email somchai@example.com --json) ||
	fail "ship-to with a card: $sale"
ORDER=$(server_order "$(jq -r .id <<<"$sale")")
assert_eq "captured unfulfilled" "$(jq -r '"\(.payments[0].status) \(.fulfilments[0].status)"' <<<"$ORDER")" \
	"card and fulfilment of the shipped card sale"
ok "shipped and paid by card"

# A plain sale has no fulfilment.
sale=$(reg "$H" sell "$SKU" --pay cash --json) || fail "plain sale"
ORDER=$(server_order "$(jq -r .id <<<"$sale")")
assert_eq "null null" "$(jq -r '"\(.ship_to) \(.fulfilments)"' <<<"$ORDER")" "a sale taken away"

expect_rc 2 "--ship-to without --email" reg "$H" sell "$SKU" --pay cash --ship-to "$ADDR"
expect_rc 2 "an empty --ship-to" reg "$H" sell "$SKU" --pay cash --ship-to " " --email a@example.com
ok "a sale taken away has none; --ship-to needs an address and --email"

n_orders=$(reg_order_count "$H")
n_auth=$(payments | jq length)
stop_server "$SERVER_PID"
for pay in card cash; do
	rc=0
	reg "$H" sell "$SKU" --pay "$pay" --ship-to "$ADDR" --email somchai@example.com >"$T/off.out" 2>&1 || rc=$?
	assert_eq 75 "$rc" "ship-to offline with $pay"
	grep -q "no payment was taken" "$T/off.out" || fail "offline ship-to: $(cat "$T/off.out")"
	grep -q "cash" "$T/off.out" || fail "offline ship-to does not say what still works: $(cat "$T/off.out")"
done
assert_eq "$n_orders" "$(reg_order_count "$H")" "orders after the offline ship-to"
assert_eq 0 "$(reg_pending "$H")" "pending after the offline ship-to"
serve_again
assert_eq "$n_auth" "$(payments | jq length)" "authorizations after the offline ship-to"
ok "offline: 75 before any payment; no order, no authorization"
