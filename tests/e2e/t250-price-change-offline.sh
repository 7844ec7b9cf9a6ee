#!/usr/bin/env bash
# t250: a price changed on the back office while a register is offline: the
# sale made offline keeps the price it was sold at, on the back office's
# order too; the next pull brings the new price and a later sale uses it.
. "$(dirname "$0")/lib.sh"

new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
api_all /api/v1/products products >"$T/products.json"
PRODUCT=$(jq -c '[.[] | select(any(.variants[]; .sku != null and .sku != ""))][0]' "$T/products.json")
PID=$(jq -r .id <<<"$PRODUCT")
SKU=$(jq -r '[.variants[] | select(.sku != null and .sku != "")][0].sku' <<<"$PRODUCT")
OLD=$(jq -r --arg s "$SKU" '.variants[] | select(.sku == $s) | .price' <<<"$PRODUCT")
NEW=99.75
[ "$OLD" != "$NEW" ] || NEW=88.50

stop_server "$SERVER_PID"
reg "$H" sell "$SKU" --pay cash --json >"$T/s1.json" || fail "sale offline"
ID1=$(jq -r .id "$T/s1.json")

# The back office is reachable again for the merchant, but the register has
# not talked to it since: for the register the price change happens offline.
serve_again
BODY=$(jq -c --arg s "$SKU" --arg p "$NEW" \
	'{title, variants: [.variants[] | {id, sku, barcode, price} | if .sku == $s then .price = $p else . end]}' \
	<<<"$PRODUCT")
api PUT "$URL/api/v1/products/$PID" "$OWNER" "$BODY" >"$T/put.json"
assert_eq 200 "$HTTP_STATUS" "PUT the new price ($(cat "$T/put.json"))"
assert_eq "$NEW" "$(api GET "$URL/api/v1/products/$PID" "$OWNER" |
	jq -r --arg s "$SKU" '(.product // .) | .variants[] | select(.sku == $s) | .price')" "price on the back office"

reg "$H" sync >"$T/sync.out" 2>&1 || { cat "$T/sync.out"; fail "sync"; }
O1=$(server_orders | jq -c --arg id "$ID1" '.[] | select(.id == $id)')
[ -n "$O1" ] || fail "the offline order did not arrive"
assert_eq "$OLD" "$(jq -r '.lines[0].price' <<<"$O1")" "unit price of the offline sale on the back office"
assert_eq "$OLD" "$(jq -r .total <<<"$O1")" "total of the offline sale on the back office"
ok "the offline sale kept its price ($OLD)"

reg "$H" sell "$SKU" --pay cash --json >"$T/s2.json" || fail "sale after the pull"
ID2=$(jq -r .id "$T/s2.json")
reg "$H" sync >/dev/null || fail "second sync"
O2=$(server_orders | jq -c --arg id "$ID2" '.[] | select(.id == $id)')
[ -n "$O2" ] || fail "the second order did not arrive"
assert_eq "$NEW" "$(jq -r '.lines[0].price' <<<"$O2")" "unit price of the later sale"
assert_eq "$NEW" "$(jq -r .total <<<"$O2")" "total of the later sale"
orders_once "$(server_orders)"
ok "the pull brought the new price ($NEW) and the later sale used it"
