#!/usr/bin/env bash
# The till online, driven through tmux: the staff PIN opens it, scanned
# codes add lines (Thai names included), a discount over the limit needs a
# manager's PIN, cash pays with the change shown, and the sale reaches the
# back office by itself (pending: 0) with the cashier as its staff member.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"

new_shop
reg_login "$T/reg" "Counter 1" >/dev/null || fail "login"
till_start "$T/reg"
expect 10 "The till is locked" "the lock screen first"
keys 1111 Enter
expect 10 "is on duty" "the cashier's PIN unlocks"
expect 10 "ONLINE +pending: 0" "online on the status bar"

# Two items, the second scanned twice: one line of two.
products=$(api_all /api/v1/products products)
b1=$(jq -r '[.[].variants[] | select(.barcode != null)][0].barcode' <<<"$products")
b2=$(jq -r '[.[].variants[] | select(.barcode != null)][1].barcode' <<<"$products")
p1=$(jq -r --arg b "$b1" '[.[].variants[] | select(.barcode == $b)][0].price' <<<"$products")
p2=$(jq -r --arg b "$b2" '[.[].variants[] | select(.barcode == $b)][0].price' <<<"$products")
keys "$b1" Enter
expect 5 "Items 1 " "the first scan adds a line at once"
keys "$b2" Enter "$b2" Enter
expect 5 "Items 3 " "the same code again counts the line up"
total=$(jq -rn --arg a "$p1" --arg b "$p2" '(($a|tonumber)*100 + 2*($b|tonumber)*100) | round')
total_s=$(printf '%d.%02d' $((total / 100)) $((total % 100)))
expect 5 "TOTAL THB $total_s" "the running total"
screen | grep -q "VAT 7% included" || fail "no VAT line"

# A code that is not in the catalog is refused with what to do instead.
keys 4006381333931 Enter
expect 5 "no item with barcode or sku '4006381333931'" "unknown code refused"
expect 5 "F2 searches by name" "and what to do instead"

# 50 % off the order is over the limit: a cashier's PIN cannot approve it.
keys F4
expect 5 "Discount on what" "the discount chooser"
keys o
expect 5 "Discount on the whole order" "the order discount prompt"
type_text "50%"
keys Enter
expect 5 "Manager approval" "a manager is asked for"
keys 1111 Enter
expect 5 "cannot approve this" "a cashier cannot approve"
keys Escape
expect 5 "discount not given|cannot approve" "no discount without approval"
expect_not "order -50%" "the discount was not given"

# Pay: exact cash is offered; 1000 in cash gives change.
keys F5
expect 5 "STILL DUE" "the pay screen"
keys c
expect 5 "Cash received" "the cash prompt"
expect 5 "a: $total_s \(exact\)" "the exact amount offered"
type_text 1000
keys Enter
change=$((100000 - total))
change_s=$(printf '%d.%02d' $((change / 100)) $((change % 100)))
expect 10 "CHANGE THB $change_s" "the change"
expect 5 "Sale R01-000001 saved" "the order number"
keys Enter
expect 5 "Items 0 " "a new, empty cart"
expect 20 "ONLINE +pending: 0" "the sale synced by itself"

orders=$(server_orders)
assert_eq 1 "$(jq length <<<"$orders")" "orders on the back office"
assert_eq "$total_s" "$(jq -r '.[0].total' <<<"$orders")" "order total on the back office"
assert_eq cash "$(jq -r '.[0].payments[0].method' <<<"$orders")" "payment method"
ok "sale by scanning and cash, change $change_s, synced"

# The orders screen shows it synced; Esc goes back.
keys F6
expect 5 "R01-000001 .* synced" "the order, synced, on the orders screen"
keys Escape
expect 5 "Scan or type a code" "back on the sell screen"

# A wedge scanner typing under the Thai keyboard layout sends the Thai
# letters of the digit keys: the code is read back as digits.
thai=$(python3 -c 'import sys; m="\u0e08\u0e45/-\u0e20\u0e16\u0e38\u0e36\u0e04\u0e15"; print("".join(m[int(c)] for c in sys.argv[1]))' "$b1")
type_text "$thai"
keys Enter
expect 5 "read as $b1" "a Thai-layout scan"
expect 5 "Items 1 "
keys F8
expect 5 "Void this cart" "void asks first"
keys y
expect 5 "cart voided: nothing was sold"
expect 5 "Items 0 "
ok "Thai keyboard layout scan, then the cart voided"

# F10 closes the till cleanly.
keys F10
wait_until 10 till_exited || fail "F10 did not close the till"
screen | grep -q "TILL-EXITED 0" || fail "the till did not exit with 0"
ok "orders screen and a clean close"
