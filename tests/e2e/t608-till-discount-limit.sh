#!/usr/bin/env bash
# The discount limit is a shop setting of the back office: GET/PUT
# /api/v1/shop as a percentage ("10" by default, bad values refused), sent to
# the registers in the snapshot and the shop change (discount_limit_ppm). The
# till pulls a new limit while open and asks for a manager's PIN only above
# it; the register setting till-discount-limit can make one register
# stricter, never more lenient.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"

new_shop
shop_limit() { api GET "$URL/api/v1/shop" "$OWNER" | jq -r .shop.discount_limit; }
assert_eq 10 "$(shop_limit)" "the default limit"

# ---- the admin API ----
api PUT "$URL/api/v1/shop" "$OWNER" '{"discount_limit": "25"}' >"$T/put.json"
assert_eq 200 "$HTTP_STATUS" "PUT discount_limit 25"
assert_eq 25 "$(jq -r .shop.discount_limit "$T/put.json")" "the answer"
assert_eq 25 "$(shop_limit)" "GET after PUT"
for bad in '{"discount_limit": "101"}' '{"discount_limit": "-1"}' '{"discount_limit": "ten"}' \
	'{"discount_limit": 25}' '{"discount_limit": ""}' '{"discount_limit": "12.34567"}'; do
	api PUT "$URL/api/v1/shop" "$OWNER" "$bad" >"$T/bad.json"
	assert_eq 400 "$HTTP_STATUS" "PUT $bad"
	assert_eq discount_limit "$(jq -r .error.field "$T/bad.json")" "the field named for $bad"
done
assert_eq 25 "$(shop_limit)" "unchanged by the refused ones"
CASHIER=$(staff_token "$URL" cashier@demo.example demo1234)
api PUT "$URL/api/v1/shop" "$CASHIER" '{"discount_limit": "90"}' >/dev/null
assert_eq 403 "$HTTP_STATUS" "a cashier raising the limit"
ok "discount_limit in GET/PUT /api/v1/shop: a percentage, checked, managers only"

# ---- the snapshot at login carries it ----
reg_login "$T/reg" "Counter 1" >/dev/null || fail "login"
reg_limit() { sqlite3 "$T/reg/register.db" "select discount_limit_ppm from shop"; }
assert_eq 250000 "$(reg_limit)" "the limit in the register's store after login"
ok "the snapshot brings the limit to the register"

b1=$(api_all /api/v1/products products | jq -r '[.[].variants[] | select(.barcode != null)][0].barcode')
till_start "$T/reg"
expect 10 "The till is locked"
keys 1111 Enter
expect 10 "ONLINE +pending: 0"
keys "$b1" Enter
expect 5 "Items 1 "

# order_discount PCT: asks for an order discount of PCT.
order_discount() {
	keys F4
	expect 5 "Discount on what"
	keys o
	expect 5 "Discount on the whole order"
	type_text "$1"
	keys Enter
}

# Under the shop's 25 %: given by the cashier alone.
order_discount 20%
expect 5 "discount 20% given" "20 % under a 25 % limit"
expect_not "Manager approval"
ok "20 % given without a manager under the back office's 25 %"

# The owner lowers the limit to 5 %; the till pulls it while open.
api PUT "$URL/api/v1/shop" "$OWNER" '{"discount_limit": "5"}' >/dev/null
assert_eq 200 "$HTTP_STATUS" "PUT discount_limit 5"
limit_is() { test "$(reg_limit)" = "$1"; }
wait_until 15 limit_is 50000 || fail "the register did not pull the new limit: $(reg_limit)"
order_discount 10%
expect 5 "Manager approval" "10 % over the new 5 % limit needs a manager"
expect 5 "over the 5% limit" "the limit named"
keys 1111 Enter
expect 5 "cannot approve this" "a cashier cannot approve"
keys 9999 Enter
expect 5 "discount approved by" "the owner approves"
expect 5 "order -10%" "the discount on the cart"
ok "the limit lowered in the back office: the open till asks for a manager above it"

# A register setting cannot raise the shop's limit, only lower it.
reg "$T/reg" config set till-discount-limit 50 >/dev/null || fail "config set"
order_discount 8%
expect 5 "Manager approval" "8 % still over the shop's 5 %"
keys Escape
expect 5 "discount not given" "no discount without approval"
api PUT "$URL/api/v1/shop" "$OWNER" '{"discount_limit": "30"}' >/dev/null
wait_until 15 limit_is 300000 || fail "the register did not pull 30 %"
reg "$T/reg" config set till-discount-limit 3 >/dev/null || fail "config set"
order_discount 4%
expect 5 "Manager approval" "4 % over this register's stricter 3 %"
expect 5 "over the 3% limit"
keys Escape
reg "$T/reg" config unset till-discount-limit >/dev/null || fail "config unset"
order_discount 28%
expect 5 "discount 28% given" "28 % under the shop's 30 % again"
ok "the register setting only makes one register stricter"

keys F10
wait_until 10 till_exited || fail "F10 did not close the till"
