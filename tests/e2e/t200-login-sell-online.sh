#!/usr/bin/env bash
# A register logs in to the demo back office, sells two catalog items for
# cash while online -- the order is on the back office at once and its stock
# went down -- then, with the back office stopped, sells offline, refuses to
# log out with that sale unsynced, and a fresh register cannot log in (75).
# Back again, `talad sync` sends the offline sale.
. "$(dirname "$0")/lib.sh"

new_shop
H="$T/reg1"

out=$(reg_login "$H" "Till 1") || fail "login: $out"
grep -q '^logged in as R01 at Talad Demo Market ([0-9]* items)$' <<<"$out" ||
	fail "login said: $out"
ok "login: $out"

st=$(reg "$H" status --json)
assert_eq true "$(jq -r .logged_in <<<"$st")" "status logged_in"
assert_eq true "$(jq -r .online <<<"$st")" "status online"
assert_eq 0 "$(jq -r .pending <<<"$st")" "status pending"
assert_eq R01 "$(jq -r .register <<<"$st")" "status register"
assert_eq "$URL" "$(jq -r .server <<<"$st")" "status server"
items=$(jq -r .catalog_items <<<"$st")
[ "$items" -gt 2 ] || fail "status catalog_items: $items"
[ "$(jq -r .last_sync <<<"$st")" != null ] || fail "status last_sync is null after login"
ok "status --json: logged in, online, nothing pending, $items items"

# Two tracked demo items with barcodes, and their stock before.
api_all /api/v1/products products >"$T/products.json"
read -r B1 S1 P1 < <(jq -r '[.[].variants[] | select(.barcode != null and .tracked)][0] |
	"\(.barcode) \(.sku) \(.price)"' "$T/products.json")
read -r B2 S2 P2 < <(jq -r '[.[].variants[] | select(.barcode != null and .tracked)][1] |
	"\(.barcode) \(.sku) \(.price)"' "$T/products.json")
before1=$(level "$S1")
before2=$(level "$S2")

sale=$(reg "$H" sell "$B1" "$B2" --pay cash --json) || fail "sell: $sale"
assert_eq true "$(jq -r .synced <<<"$sale")" "sale synced"
assert_eq R01-000001 "$(jq -r .number <<<"$sale")" "sale number"
id=$(jq -r .id <<<"$sale")
want=$(jq -rn --arg a "$P1" --arg b "$P2" '(($a|tonumber) + ($b|tonumber)) * 100 | round')
got=$(jq -r '.total | tonumber * 100 | round' <<<"$sale")
assert_eq "$want" "$got" "sale total in satang"
ok "sold $B1 + $B2 for cash: $(jq -c . <<<"$sale")"

# On the back office at once: no waiting, no polling.
api GET "$URL/api/v1/orders/$id" "$OWNER" >"$T/order.json"
assert_eq 200 "$HTTP_STATUS" "GET the order right after the sale"
assert_eq R01-000001 "$(jq -r '.number // .order.number' "$T/order.json")" "order number on the server"
assert_eq 2 "$(jq -r '(.lines // .order.lines) | length' "$T/order.json")" "order lines on the server"
assert_eq $((before1 - 1)) "$(level "$S1")" "stock of $S1 after the sale"
assert_eq $((before2 - 1)) "$(level "$S2")" "stock of $S2 after the sale"
ok "the order is on the back office and stock went down by one each"

# The human form prints the receipt and the change.
out=$(reg "$H" sell "$B1" --pay cash:100) || fail "sell (text): $out"
grep -q 'R01-000002' <<<"$out" || fail "receipt without its number: $out"
grep -q 'change' <<<"$out" || fail "no change line: $out"
grep -q 'synced with the back office' <<<"$out" || fail "sale not synced: $out"
ok "a sale prints its receipt and change"

# Now the back office goes away.
stop_server "$SERVER_PID"
sale=$(reg "$H" sell "$B2" --pay cash --json) || fail "offline sale failed: $sale"
assert_eq false "$(jq -r .synced <<<"$sale")" "offline sale synced"
assert_eq waiting "$(jq -r .status <<<"$sale")" "offline sale status"
assert_eq 1 "$(reg_pending "$H")" "pending after the offline sale"
ok "sold offline: $(jq -r .number <<<"$sale") waits to sync"

set +e
out=$(reg "$H" logout 2>&1)
rc=$?
set -e
assert_eq 1 "$rc" "logout exit status with unsynced work"
grep -q '1 entry' <<<"$out" || fail "logout does not name the count: $out"
grep -q 'talad sync' <<<"$out" || fail "logout does not suggest talad sync: $out"
assert_eq true "$(reg "$H" status --json | jq -r .logged_in)" "still logged in after refused logout"
assert_eq false "$(reg "$H" status --json | jq -r .online)" "status online with the server stopped"
ok "logout refused: $out"

set +e
out=$(TALAD_PASSWORD=demo1234 "$TALAD" --home "$T/reg2" login "$URL" --email cashier@demo.example 2>&1)
rc=$?
set -e
assert_eq 75 "$rc" "first login with the back office down"
grep -q 'needs the internet' <<<"$out" || fail "offline login message: $out"
ok "first login offline exits 75: $out"

set +e
out=$(reg "$H" sync 2>&1)
rc=$?
set -e
assert_eq 75 "$rc" "sync with the back office down"

# Back online: a forced sync sends the offline sale.
serve_again
out=$(reg "$H" sync --json) || fail "sync: $out"
assert_eq 1 "$(jq -r .applied <<<"$out")" "sync applied"
assert_eq 0 "$(jq -r .pending <<<"$out")" "pending after sync"
assert_eq 3 "$(server_orders | jq '[.[] | select(.register == "R01")] | length')" "orders on the server"
orders_once "$(server_orders)"
assert_eq 0 "$(reg "$H" orders --pending --json | jq '.orders | length')" "orders still waiting"
out=$(reg "$H" logout) || fail "logout after sync: $out"
ok "synced when back, then logged out"
