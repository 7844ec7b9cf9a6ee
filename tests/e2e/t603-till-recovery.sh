#!/usr/bin/env bash
# Recovery: the till killed with a cart in progress comes back with the same
# cart and the same staff on duty; killed after an offline sale, it comes
# back with the sale kept and pending, and the sync resumes by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"

new_shop
reg_login "$T/reg" "Counter 1" >/dev/null || fail "login"
products=$(api_all /api/v1/products products)
b1=$(jq -r '[.[].variants[] | select(.barcode != null)][0].barcode' <<<"$products")
b2=$(jq -r '[.[].variants[] | select(.barcode != null)][1].barcode' <<<"$products")
till_start "$T/reg"
expect 10 "The till is locked"
keys 1111 Enter
expect 10 "ONLINE +pending: 0"

keys "$b1" Enter "$b2" Enter
expect 5 "Items 2 "
keys F3
expect 5 "Quantity of"
keys BSpace 4 Enter
expect 5 "Items 5 " "quantity 4 on the second line"
before=$(screen | grep -E "TOTAL THB")
till_kill
till_start "$T/reg"
expect 10 "cart restored from before the till closed: 2 line" "the cart is restored"
expect 5 "Items 5 "
[ "$(screen | grep -E "TOTAL THB")" = "$before" ] || fail "the restored total differs"
expect_not "The till is locked" "the same staff stays on duty"
ok "killed mid-cart: the cart is back"

# Offline now: the sale is kept through a kill and goes up when the link is back.
stop_server "$SERVER_PID"
expect 10 "OFFLINE"
keys F5
expect 5 "STILL DUE"
keys c Enter
expect 10 "CHANGE THB"
keys Enter
expect 10 "pending: 1"
till_kill
assert_eq 1 "$(reg_pending "$T/reg")" "pending after the kill"
till_start "$T/reg"
expect 10 "Items 0 " "no cart after a completed sale"
expect_not "cart restored"
expect 10 "OFFLINE +pending: 1" "still pending after the restart"
keys F6
expect 5 "R01-000001 .* waiting" "the sale is listed as waiting"
serve_again
expect 30 "R01-000001 .* synced" "the sync resumed by itself"
expect 5 "ONLINE +pending: 0"
orders=$(server_orders)
assert_eq 1 "$(jq length <<<"$orders")" "orders on the back office"
orders_once "$orders"
ok "killed after an offline sale: kept, then synced once"
