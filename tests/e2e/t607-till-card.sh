#!/usr/bin/env bash
# Cards and gift cards in the till, online, through the simulated card reader
# and the back office's test gateway: an approved card sale reaches the back
# office with the brand and last four (the full number nowhere on disk); a
# declined card says why and enters nothing; a gift card + cash split;
# taking a gift card payment back, voiding the cart and a till killed between
# authorization and commit all release the hold.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pay-lib.sh"
. "$(dirname "$0")/till-lib.sh"

new_shop
card_reg "$T/reg" "Counter 1"
products=$(api_all /api/v1/products products)
b1=$(jq -r '[.[].variants[] | select(.barcode != null)][0].barcode' <<<"$products")
p1=$(jq -r --arg b "$b1" '[.[].variants[] | select(.barcode == $b)][0].price' <<<"$products")
till_start "$T/reg"
expect 10 "The till is locked"
keys 1111 Enter
expect 10 "ONLINE +pending: 0" "online"

# custom_item NAME PRICE: a custom line on the sell screen.
custom_item() {
	keys F7
	expect 5 "Name of the item" "the custom item prompt"
	type_text "$1"
	keys Enter
	expect 5 "Price \(tax as" "the price prompt"
	type_text "$2"
	keys Enter
	expect 5 "added custom item $1" "the custom item added"
}

# ---- an approved card ----
keys "$b1" Enter
expect 5 "Items 1 "
keys F5
expect 5 "k  Card +simulated card reader" "the card reader offered online"
keys k
expect 5 "Amount \(Enter for the rest" "the card amount prompt"
keys Enter
expect 15 "CHANGE THB 0.00" "paid by card"
expect 5 "visa \*\*\*\*4242 $p1" "brand and last four on the paid screen"
expect 5 "card: TEST GATEWAY" "the test gateway named"
keys Enter
expect 20 "ONLINE +pending: 0" "the card sale synced"
orders=$(server_orders)
assert_eq 1 "$(jq length <<<"$orders")" "orders on the back office"
assert_eq "card visa 4242 $p1" \
	"$(jq -r '.[0].payments[0] | "\(.method) \(.card_brand) \(.card_last4) \(.amount)"' <<<"$orders")" \
	"the card payment on the order"
assert_eq captured "$(payments "$(jq -r '.[0].id' <<<"$orders")" | jq -r '.[0].status')" \
	"the authorization captured by the order"
ok "card approved: visa ****4242 on the order, captured"

# ---- a declined card: the till started again with another test card ----
keys F10
wait_until 10 till_exited || fail "F10 did not close the till"
TILL_WRAP="env TALAD_SIMULATED_CARD=4000000000000002" till_start "$T/reg"
expect 10 "Scan or type a code" "back on duty after the restart"
keys "$b1" Enter
expect 5 "Items 1 "
keys F5
expect 5 "STILL DUE"
keys k
expect 5 "Amount \(Enter for the rest"
keys Enter
expect 15 "card declined: the card was declined" "the decline and its reason"
expect 5 "nothing was entered or charged" "nothing entered"
expect 5 "none yet" "no payment on the sale"
assert_eq declined "$(payments | jq -r '.[0].status')" "the declined authorization on record"
assert_eq 1 "$(server_orders | jq length)" "orders after the decline"
ok "card declined: the reason shown, nothing entered, no order"

# The number read never reached a disk: not the register's, not the back
# office's, not a log.
if grep -rlaE "4242424242424242|4000000000000002" "$T" >"$T/found" 2>/dev/null; then
	fail "a full card number was written to $(tr '\n' ' ' <"$T/found")"
fi
ok "no full card number anywhere on disk"

# ---- gift card + cash ----
keys Escape
expect 5 "Scan or type a code"
keys F8
expect 5 "Void this cart"
keys y
expect 5 "cart voided"
CODE=$(gift_issue 100.00)
custom_item Cake 120.00
keys F5
expect 5 "STILL DUE"
keys g
expect 5 "Gift card code" "the gift card code prompt"
type_text "$(tr 'A-Z' 'a-z' <<<"$CODE")"
keys Enter
expect 5 "Amount \(Enter for the rest"
type_text 100
keys Enter
expect 15 "Gift \*\*\*\*${CODE: -4} +100.00" "the gift card payment entered"
expect 5 "still due 20.00" "the rest due"
assert_eq "100.00 0.00" "$(gift_get "$CODE" held) $(gift_get "$CODE" available)" "the hold"
keys c
expect 5 "Cash received"
keys Enter
expect 10 "CHANGE THB 0.00" "the rest in cash"
expect 5 "gift card: " "the gift card's reference on the paid screen"
keys Enter
expect 20 "ONLINE +pending: 0"
order=$(server_orders | jq '[.[] | select(.lines[0].title == "Cake")][0]')
assert_eq "gift_card 100.00 cash 20.00" \
	"$(jq -r '[.payments[] | "\(.method) \(.amount)"] | join(" ")' <<<"$order")" \
	"gift card and cash on the order"
assert_eq "$CODE" "$(jq -r '.payments[0].name' <<<"$order")" "the gift card's code on the order"
assert_eq "0.00 0.00" "$(gift_get "$CODE" balance) $(gift_get "$CODE" held)" "the gift card spent"
ok "gift card 100.00 + cash 20.00: one order, the card debited"

# ---- a gift card taken back, a cart voided: the hold released ----
C2=$(gift_issue 50.00)
custom_item Tea 40.00
keys F5
expect 5 "STILL DUE"
take_gift() {
	keys g
	expect 5 "Gift card code"
	type_text "$C2"
	keys Enter
	expect 5 "Amount \(Enter for the rest"
	type_text "$1"
	keys Enter
	expect 15 "Gift \*\*\*\*${C2: -4}" "the gift card payment entered"
}
take_gift 30
assert_eq 30.00 "$(gift_get "$C2" held)" "held while entered"
keys x
expect 10 "authorization voided: nothing is charged" "x voids the authorization"
assert_eq "0.00 50.00" "$(gift_get "$C2" held) $(gift_get "$C2" available)" "after x"
ok "a gift card payment taken back: its hold released"

# More than the card holds: declined with what is left.
C3=$(gift_issue 10.00)
keys g
expect 5 "Gift card code"
type_text "$C3"
keys Enter
expect 5 "Amount \(Enter for the rest"
keys Enter
expect 15 "gift card declined: the gift card has only 10.00 THB available" "the balance told"
expect 5 "none yet"
ok "a gift card short of the amount: declined, with what it has"

take_gift 30
keys Escape
expect 5 "Scan or type a code"
keys F8
expect 5 "Payments were already entered"
keys y
expect 10 "authorizations were voided" "voiding the cart voids the authorization"
assert_eq 0.00 "$(gift_get "$C2" held)" "after the cart was voided"
ok "a voided cart: its gift card hold released"

# ---- killed between authorization and commit ----
custom_item Tea 40.00
keys F5
expect 5 "STILL DUE"
take_gift 30
assert_eq 30.00 "$(gift_get "$C2" held)" "held before the kill"
ls "$T/reg/payments-in-flight/"*.json >/dev/null 2>&1 || fail "no journal of the sale in flight"
till_kill
till_start "$T/reg"
expect 10 "taken back and voided" "the restored cart without its gift card payment"
held_zero() { test "$(gift_get "$C2" held)" = 0.00; }
wait_until 10 held_zero || fail "the hold of the killed sale was not released: $(gift_get "$C2" held)"
assert_eq voided "$(payments | jq -r --arg c "$C2" '[.[] | select(.gift_code == $c)][0].status')" \
	"the killed sale's authorization"
ls "$T/reg/payments-in-flight/"*.json >/dev/null 2>&1 && fail "the journal was left behind"
expect 5 "Items 1 " "the cart itself restored"
ok "killed between authorization and commit: voided at the next start, the cart kept"

keys F10
wait_until 10 till_exited || fail "F10 did not close the till"
