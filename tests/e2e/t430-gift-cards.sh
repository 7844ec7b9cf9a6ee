#!/usr/bin/env bash
# t430: gift cards. Issued through the API (a code of the merchant's or one
# made by the back office; balance in minor units, shown as decimals), looked
# up; redeemed from the register in part (the rest in cash) and refused when
# they do not hold enough; refused offline with 75 and nothing recorded. Two
# registers redeeming more than half of the same card at the same moment:
# exactly one succeeds and the balance never goes below zero. A hold whose
# sale never comes expires (--auth-ttl) and is released.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pay-lib.sh"

new_shop
# Short-lived holds for the expiry check at the end; every other sale
# captures within a second.
serve_ttl() { start_server "$T/server" "$PORT" --auth-ttl 3; }
stop_server "$SERVER_PID"
serve_ttl
A="$T/reg-a"
B="$T/reg-b"
card_reg "$A" "Counter A"
card_reg "$B" "Counter B"

# ---- issue and look up ----
GEN=$(gift_issue 500.00)
[[ "$GEN" =~ ^GC-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$ ]] || fail "made-up code: $GEN"
CODE=$(gift_issue 300.00 "Shop-Gift-01")
assert_eq SHOP-GIFT-01 "$CODE" "the merchant's code, upper case"
assert_eq "300.00 300.00 0.00 300.00 THB" \
	"$(gift_get shop-gift-01 initial_balance) $(gift_get "$CODE" balance) $(gift_get "$CODE" held) $(gift_get "$CODE" available) $(gift_get "$CODE" currency)" \
	"a new card, looked up in any case"
api POST "$URL/api/v1/gift-cards" "$OWNER" '{"code":"shop-gift-01","balance":"5.00"}' >/dev/null
assert_eq 409 "$HTTP_STATUS" "a code in use"
for bad in '{"balance":"0"}' '{"balance":"12.345"}' '{"balance":5}' '{}' \
	'{"code":"a b","balance":"5.00"}' '{"code":"AB","balance":"5.00"}' '{"balance":"5.00","x":1}'; do
	api POST "$URL/api/v1/gift-cards" "$OWNER" "$bad" >/dev/null
	assert_eq 400 "$HTTP_STATUS" "issuing $bad"
done
api GET "$URL/api/v1/gift-cards/NO-SUCH-CARD" "$OWNER" >/dev/null
assert_eq 404 "$HTTP_STATUS" "an unknown card"
CASHIER=$(staff_token "$URL" cashier@demo.example demo1234)
api POST "$URL/api/v1/gift-cards" "$CASHIER" '{"balance":"5.00"}' >/dev/null
assert_eq 403 "$HTTP_STATUS" "a cashier issuing a gift card"
api GET "$URL/api/v1/gift-cards/$CODE" "$CASHIER" >/dev/null
assert_eq 200 "$HTTP_STATUS" "a cashier looking a card up"
ok "gift cards issued (own and made-up codes), looked up; bad requests refused"

# ---- partial redemption ----
sale=$(reg "$A" sell "custom:Cake=120.00" --pay "gift:$CODE:100" --pay cash:50 --json) ||
	fail "gift card part + cash: $sale"
assert_eq synced "$(jq -r .status <<<"$sale")" "gift + cash sale"
assert_eq 30.00 "$(jq -r .change <<<"$sale")" "change"
assert_eq "200.00 0.00" "$(gift_get "$CODE" balance) $(gift_get "$CODE" held)" "after a 100.00 redemption"
sale=$(reg "$A" sell "custom:Cake=120.00" --pay "gift:$CODE" --json) || fail "gift card only: $sale"
assert_eq 80.00 "$(gift_get "$CODE" balance)" "after paying a whole sale"
ORDER=$(server_order "$(jq -r .id <<<"$sale")")
assert_eq "gift_card $CODE 120.00 captured gift_card" \
	"$(jq -r '.payments[0] | "\(.method) \(.name) \(.amount) \(.status) \(.gateway)"' <<<"$ORDER")" \
	"the gift card payment on the order"
reg "$A" orders "$(jq -r .number <<<"$sale")" | grep -q "Gift card \*\*\*\*T-01" ||
	fail "the receipt does not show the card by its last characters"
n_orders=$(reg_order_count "$A")
expect_rc 1 "more than the card holds" reg "$A" sell "custom:Cake=120.00" --pay "gift:$CODE"
grep -q "only 80.00 THB available" "$T/out" || fail "the refusal does not say what is left: $(cat "$T/out")"
expect_rc 1 "an unknown card" reg "$A" sell "custom:Cake=120.00" --pay "gift:NO-SUCH-CARD"
grep -q "no gift card" "$T/out" || fail "unknown card refusal: $(cat "$T/out")"
assert_eq "$n_orders" "$(reg_order_count "$A")" "orders after refused gift cards"
assert_eq "80.00 0.00" "$(gift_get "$CODE" balance) $(gift_get "$CODE" held)" "after the refusals"
ok "partial redemption, a whole sale, and refusals that say why (nothing recorded)"

# ---- offline ----
stop_server "$SERVER_PID"
expect_rc 75 "gift card offline" reg "$A" sell "custom:Cake=20.00" --pay "gift:$CODE"
grep -q "cash" "$T/out" && grep -q "PromptPay QR" "$T/out" || fail "offline refusal: $(cat "$T/out")"
assert_eq "$n_orders" "$(reg_order_count "$A")" "orders after the offline attempt"
assert_eq 0 "$(reg_pending "$A")" "pending after the offline attempt"
serve_ttl
assert_eq "80.00 0.00" "$(gift_get "$CODE" balance) $(gift_get "$CODE" held)" "after the offline attempt"
ok "offline: 75, nothing recorded, the card untouched"

# ---- two registers at once, each after more than half ----
for round in 1 2 3; do
	C=$(gift_issue 100.00)
	"$TALAD" --home "$A" sell "custom:Dinner=60.00" --pay "gift:$C" --json >"$T/ra.json" 2>"$T/ra.err" &
	PA=$!
	"$TALAD" --home "$B" sell "custom:Dinner=60.00" --pay "gift:$C" --json >"$T/rb.json" 2>"$T/rb.err" &
	PB=$!
	ra=0 rb=0
	wait "$PA" || ra=$?
	wait "$PB" || rb=$?
	assert_eq "0 1" "$(printf '%s\n' "$ra" "$rb" | sort | tr '\n' ' ' | sed 's/ $//')" \
		"round $round: exit statuses of the two registers ($(cat "$T/ra.err" "$T/rb.err"))"
	grep -q "insufficient\|only 40.00" "$T/ra.err" "$T/rb.err" ||
		fail "round $round: the loser was not told why: $(cat "$T/ra.err" "$T/rb.err")"
	assert_eq "40.00 0.00" "$(gift_get "$C" balance) $(gift_get "$C" held)" "round $round: the card"
done
ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq 3 "$(jq '[.[] | select(.lines[0].title == "Dinner")] | length' <<<"$ORDERS")" \
	"one order per round on the back office"
ok "two registers at once: exactly one succeeds each time, the balance never below zero"

# ---- a hold whose sale never arrives expires ----
C=$(gift_issue 50.00)
TALAD_TEST_PAUSE_AFTER_AUTH=30 "$TALAD" --home "$A" sell "custom:Tea=20.00" --pay "gift:$C" \
	>"$T/killed.out" 2>&1 &
KPID=$!
PIDS+=("$KPID")
held_is() { test "$(gift_get "$C" held)" = "$1"; }
wait_until 10 held_is 20.00 || fail "no hold while the sale paused: $(cat "$T/killed.out")"
kill -9 "$KPID"
wait "$KPID" 2>/dev/null || true
rm -rf "$A/payments-in-flight" # as if the register's disk were lost with it
assert_eq 30.00 "$(gift_get "$C" available)" "available while held"
wait_until 10 held_is 0.00 || fail "the hold did not expire: held $(gift_get "$C" held)"
assert_eq "50.00 50.00" "$(gift_get "$C" balance) $(gift_get "$C" available)" "the card after expiry"
assert_eq expired "$(payments | jq -r '[.[] | select(.gift_code == "'"$C"'")][0].status')" \
	"the authorization after expiry"
ok "an uncaptured hold expires after --auth-ttl and is released"
