#!/usr/bin/env bash
# t400: card payments through the back office's test gateway. 4242... is
# approved, captured when the order arrives and shown as the test gateway's
# everywhere (server log, payment records, the order, the receipt);
# 4000...0002 is declined, 4000...9995 declined for insufficient funds, any
# other number declined as invalid, and a number with a bad check digit never
# leaves the register. A decline records no order. Offline: exit 75 naming
# what still works, no order and no authorization. The card number is never
# stored or printed anywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pay-lib.sh"

new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
grep -q "TEST GATEWAY — no real money moves" "$T/server-$PORT.log" ||
	fail "the server's startup log does not say the gateway is a test one: $(cat "$T/server-$PORT.log")"
ok "the server says at startup that card payments go to the TEST GATEWAY"

# No reader set up: refused before anything is sent.
expect_rc 1 "card without a card reader" reg "$H" sell "custom:Tea=90.00" --pay card
grep -q "talad config set card-reader" "$T/out" || fail "no hint how to set a reader: $(cat "$T/out")"
assert_eq 0 "$(payments | jq length)" "authorizations after a refused card"
reg "$H" config set card-reader simulated >/dev/null || fail "config set card-reader"
expect_rc 1 "an unknown card reader" reg "$H" config set card-reader magic
ok "card-reader is a register setting; without one nothing is sent"

# Approved.
SKU=$(tracked_sku)
set_level "$SKU" 10
reg "$H" sync >/dev/null || fail "sync"
sale=$(reg "$H" sell "$SKU" "custom:Tea=90.00" --pay card --json) || fail "card sale: $sale"
assert_eq synced "$(jq -r .status <<<"$sale")" "card sale status"
ID=$(jq -r .id <<<"$sale")
NUM=$(jq -r .number <<<"$sale")
assert_eq visa "$(jq -r '.payments[0].card_brand' <<<"$sale")" "card brand on the sale"
assert_eq 4242 "$(jq -r '.payments[0].card_last4' <<<"$sale")" "last four on the sale"
grep -q "TEST GATEWAY" <<<"$(jq -r '.payments[0].reference' <<<"$sale")" ||
	fail "the payment reference does not name the test gateway: $sale"
ORDER=$(server_order "$ID")
assert_eq card "$(jq -r '.payments[0].method' <<<"$ORDER")" "method on the server"
assert_eq 4242 "$(jq -r '.payments[0].card_last4' <<<"$ORDER")" "last four on the server"
assert_eq test "$(jq -r '.payments[0].gateway' <<<"$ORDER")" "gateway on the order"
assert_eq captured "$(jq -r '.payments[0].status' <<<"$ORDER")" "payment captured with the order"
assert_eq 9 "$(level "$SKU")" "stock after the card sale"
P=$(payments "$ID")
assert_eq 1 "$(jq length <<<"$P")" "authorizations of the order"
assert_eq "test true captured visa 4242" \
	"$(jq -r '.[0] | "\(.gateway) \(.test) \(.status) \(.card_brand) \(.card_last4)"' <<<"$P")" \
	"the payment record"
grep -q "TEST GATEWAY — no real money moves" <<<"$(jq -r '.[0].gateway_label' <<<"$P")" ||
	fail "the payment record is not labelled as the test gateway: $P"
reg "$H" orders "$NUM" >"$T/receipt.txt" || fail "talad orders $NUM"
grep -q "Card visa \*\*\*\*4242" "$T/receipt.txt" || fail "receipt without the card: $(cat "$T/receipt.txt")"
grep -q "TEST GATEWAY — no real money moves" "$T/receipt.txt" ||
	fail "the receipt does not say TEST GATEWAY: $(cat "$T/receipt.txt")"
ok "4242424242424242 approved, captured with the order, test gateway on the record and the receipt"

# Declines: nothing recorded on the register or the back office.
n_orders=$(reg_order_count "$H")
n_server=$(server_orders | jq length)
for c in "4000000000000002 card_declined declined" \
	"4000000000009995 insufficient_funds insufficient funds" \
	"4111111111111111 invalid_number not valid"; do
	read -r number code words <<<"$c"
	rc=0
	TALAD_SIMULATED_CARD=$number reg "$H" sell "custom:Tea=90.00" --pay card --json \
		>"$T/decl.json" 2>"$T/decl.err" || rc=$?
	assert_eq 1 "$rc" "exit status for $number"
	assert_eq "$code" "$(jq -r .error.code "$T/decl.json")" "error code for $number"
	grep -q "$words" "$T/decl.err" || fail "$number: the refusal does not say why: $(cat "$T/decl.err")"
	grep -q "nothing was recorded" "$T/decl.err" || fail "$number: $(cat "$T/decl.err")"
	assert_eq declined "$(payments | jq -r '.[0].status')" "the newest authorization after $number"
	assert_eq "$code" "$(payments | jq -r '.[0].decline_code')" "decline code on the server for $number"
done
assert_eq "$n_orders" "$(reg_order_count "$H")" "orders on the register after declines"
assert_eq 0 "$(reg_pending "$H")" "pending after declines"
assert_eq "$n_server" "$(server_orders | jq length)" "orders on the back office after declines"
ok "declined, insufficient funds and invalid numbers: refused with the reason, no order"

# A wrong check digit is caught by the register: nothing is sent.
n_auth=$(payments | jq length)
rc=0
TALAD_SIMULATED_CARD=4242424242424241 reg "$H" sell "custom:Tea=90.00" --pay card >"$T/out" 2>&1 || rc=$?
assert_eq 1 "$rc" "exit status for a bad check digit"
grep -q "check digit" "$T/out" || fail "bad check digit not explained: $(cat "$T/out")"
assert_eq "$n_auth" "$(payments | jq length)" "authorizations after a bad check digit"
ok "a number failing Luhn never reaches the back office"

# Offline: 75, naming cash and the custom methods, and nothing anywhere.
stop_server "$SERVER_PID"
rc=0
reg "$H" sell "custom:Tea=90.00" --pay card >"$T/off.out" 2>&1 || rc=$?
assert_eq 75 "$rc" "card while offline"
grep -q "cash" "$T/off.out" && grep -q "PromptPay QR" "$T/off.out" ||
	fail "the offline refusal does not name what still works: $(cat "$T/off.out")"
assert_eq "$n_orders" "$(reg_order_count "$H")" "orders after the offline card"
assert_eq 0 "$(reg_pending "$H")" "pending after the offline card"
serve_again
assert_eq "$n_auth" "$(payments | jq length)" "authorizations after the offline card"
assert_eq "$n_server" "$(server_orders | jq length)" "server orders after the offline card"
ok "offline: exit 75 with cash and custom methods named; no order, no authorization"

# Never the number: not in either database, not in any log or output.
for f in "$T"/server/* "$H"/* "$T"/*.log "$T"/*.out "$T"/*.json "$T"/*.err "$T/receipt.txt"; do
	[ -f "$f" ] || continue
	for n in 4242424242424242 4000000000000002 4000000000009995 4111111111111111; do
		if grep -aq "$n" "$f"; then fail "card number $n found in $f"; fi
	done
done
ok "no card number stored or printed anywhere"
