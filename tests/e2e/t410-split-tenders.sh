#!/usr/bin/env bash
# t410: split tenders. Part card, part cash works online (both payments on the
# order, the card part captured). A split where one part is declined leaves
# nothing half-paid: the approved parts are voided (the card authorization
# voided, the gift card hold released), no order on the register or the
# back office. A register killed between authorization and commit leaves
# its authorizations in a journal; its next sync voids them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pay-lib.sh"

new_shop
H="$T/reg"
card_reg "$H" "Counter 1"

sale=$(reg "$H" sell "custom:Noodles=150.00" --pay card:100 --pay cash:100 --json) ||
	fail "card + cash: $sale"
assert_eq synced "$(jq -r .status <<<"$sale")" "card + cash status"
assert_eq 50.00 "$(jq -r .change <<<"$sale")" "change of the cash part"
ORDER=$(server_order "$(jq -r .id <<<"$sale")")
assert_eq "card 100.00 captured|cash 50.00 null" \
	"$(jq -r '[.payments[] | "\(.method) \(.amount) \(.status)"] | join("|")' <<<"$ORDER")" \
	"payments on the back office"
ok "part card, part cash: one order, card part captured, change on the cash"

CODE=$(gift_issue 80.00)
n_orders=$(reg_order_count "$H")
n_server=$(server_orders | jq length)

# Card approved, then the gift card part is refused (more than it holds):
# the card authorization is voided.
expect_rc 1 "card + gift over its balance" \
	reg "$H" sell "custom:Noodles=150.00" --pay card:50 --pay "gift:$CODE"
grep -q "only 80.00" "$T/out" || fail "the refusal does not say what the card holds: $(cat "$T/out")"
P=$(payments)
assert_eq "declined gift_card|voided card" \
	"$(jq -r '[.[0:2][] | "\(.status) \(.method)"] | join("|")' <<<"$P")" \
	"the two authorizations of the refused split"
assert_eq "$(jq -r '.[0].order_id' <<<"$P")" "$(jq -r '.[1].order_id' <<<"$P")" "one order id for both"
ok "card approved then gift card refused: the card authorization is voided"

# Gift card approved, then the card is declined: the hold is released.
rc=0
TALAD_SIMULATED_CARD=4000000000000002 reg "$H" sell "custom:Noodles=150.00" \
	--pay "gift:$CODE:60" --pay card >"$T/out" 2>&1 || rc=$?
assert_eq 1 "$rc" "gift + declined card"
grep -q "declined" "$T/out" || fail "the refusal does not say declined: $(cat "$T/out")"
P=$(payments)
assert_eq "declined card|voided gift_card" \
	"$(jq -r '[.[0:2][] | "\(.status) \(.method)"] | join("|")' <<<"$P")" \
	"the two authorizations of the second refused split"
assert_eq "80.00 0.00 80.00" "$(gift_get "$CODE" balance) $(gift_get "$CODE" held) $(gift_get "$CODE" available)" \
	"the gift card after the refused split"
assert_eq "$n_orders" "$(reg_order_count "$H")" "orders on the register after the refused splits"
assert_eq 0 "$(reg_pending "$H")" "pending after the refused splits"
assert_eq "$n_server" "$(server_orders | jq length)" "orders on the back office after the refused splits"
ok "gift card held then card declined: hold released, nothing half-paid, no order"

# Both approved: gift card part and card part, captured once with the order.
sale=$(reg "$H" sell "custom:Noodles=150.00" --pay "gift:${CODE,,}:60" --pay card --json) ||
	fail "gift + card: $sale"
ORDER=$(server_order "$(jq -r .id <<<"$sale")")
assert_eq "gift_card 60.00 captured $CODE|card 90.00 captured null" \
	"$(jq -r '[.payments[] | "\(.method) \(.amount) \(.status) \(.name)"] | join("|")' <<<"$ORDER")" \
	"gift + card payments on the back office"
assert_eq "20.00 0.00" "$(gift_get "$CODE" balance) $(gift_get "$CODE" held)" "gift card after the split"
ok "gift card (typed in lower case) + card: both captured with the order"

# A register killed between authorization and commit: the journal names the
# authorization and the next sync (or card sale) on that register voids it.
n_orders=$(reg_order_count "$H")
held_is() { test "$(gift_get "$CODE" held)" = "$1"; }
TALAD_TEST_PAUSE_AFTER_AUTH=30 "$TALAD" --home "$H" sell "custom:Tea=15.00" --pay "gift:$CODE" >"$T/killed.out" 2>&1 &
KPID=$!
PIDS+=("$KPID")
wait_until 10 held_is 15.00 || fail "no hold while the sale paused: $(cat "$T/killed.out")"
kill -9 "$KPID"
wait "$KPID" 2>/dev/null || true
[ "$(ls "$H/payments-in-flight" | wc -l)" = 1 ] || fail "no journal of the killed sale"
assert_eq "$n_orders" "$(reg_order_count "$H")" "orders after the killed sale"
reg "$H" sync >/dev/null || fail "talad sync after the killed sale"
assert_eq "0.00 20.00" "$(gift_get "$CODE" held) $(gift_get "$CODE" available)" \
	"the gift card after talad sync voided the killed sale's hold"
assert_eq voided "$(payments | jq -r '[.[] | select(.method == "gift_card")][0].status')" \
	"the killed sale's authorization"
[ -z "$(ls "$H/payments-in-flight")" ] || fail "the journal is still there"
ok "a sale killed after authorization: the next talad sync voids what it held"
