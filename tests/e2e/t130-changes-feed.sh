#!/usr/bin/env bash
# t130: the change feed: admin changes (product, level, staff, payment
# method, shop) reach /sync/changes after the snapshot's cursor, levels of
# other locations do not, a long poll returns as soon as a change commits
# (in this process, or in another one on the same database), and a cursor
# older than what --feed-keep kept gets 410 cursor_gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server-lib.sh"

new_shop
enrol "Till 1"
A="$URL/api/v1"
SKU=$(tracked_sku)

changes() { # SINCE [EXTRA_QUERY]: the page in $T/changes.json
	api GET "$A/sync/changes?since=$1${2:-}" "$RT" >"$T/changes.json"
	[ "$HTTP_STATUS" = 200 ] || fail "changes since $1: HTTP $HTTP_STATUS: $(cat "$T/changes.json")"
}
ms() { echo $(($(date +%s%N) / 1000000)); }

api GET "$A/sync/snapshot" "$RT" >"$T/snap.json"
[ "$HTTP_STATUS" = 200 ] || fail "snapshot: HTTP $HTTP_STATUS"
C0=$(jq -r .cursor "$T/snap.json")
assert_eq "$RID|$LOC" "$(jq -r '"\(.register.id)|\(.location.id)"' "$T/snap.json")" "snapshot register and location"
[ "$(jq '.products | length' "$T/snap.json")" -ge 50 ] || fail "snapshot products"
jq -e '[.products[].variants[]] | all(has("available") and (.price | type == "number"))' \
	"$T/snap.json" >/dev/null || fail "snapshot variants without available or integer price"
jq -e '.staff | all(.pin_hash | startswith("$argon2id$"))' "$T/snap.json" >/dev/null ||
	fail "snapshot staff without argon2id PIN hashes"
changes "$C0"
assert_eq "0|$C0|false" "$(jq -r '"\(.changes | length)|\(.cursor)|\(.more)"' "$T/changes.json")" "nothing after the snapshot"
ok "snapshot and an empty feed after its cursor"

# ---- admin changes show up ----
P=$(api_all /api/v1/products products | jq -c --arg s "$SKU" '[.[] | select(any(.variants[]; .sku == $s))][0]')
PID=$(jq -r .id <<<"$P")
api PUT "$A/products/$PID" "$OWNER" "$(jq -c --arg s "$SKU" '{title: (.title + " *"), variants: [.variants[] | if .sku == $s then .price = "99.50" else . end]}' <<<"$P")" >/dev/null
[ "$HTTP_STATUS" = 200 ] || fail "price change: HTTP $HTTP_STATUS: $(cat "$T/api.body")"
changes "$C0"
assert_eq "product|$PID|9950" \
	"$(jq -r --arg s "$SKU" '.changes[0] | "\(.type)|\(.data.id)|\(.data.variants[] | select(.sku == $s) | .price)"' "$T/changes.json")" \
	"the product change"
C1=$(jq -r .cursor "$T/changes.json")
set_level "$SKU" 42
api POST "$A/staff" "$OWNER" '{"name":"Nok","role":"cashier","pin":"2468"}' >/dev/null
api POST "$A/payment-methods" "$OWNER" '{"name":"TrueMoney"}' >/dev/null
api PUT "$A/shop" "$OWNER" '{"receipt_footer":"แล้วพบกันใหม่"}' >/dev/null
changes "$C1"
assert_eq "level,staff,payment_method,shop" "$(jq -r '[.changes[].type] | join(",")' "$T/changes.json")" "change types"
assert_eq "42|$LOC" "$(jq -r '.changes[0].data | "\(.available)|\(.location_id)"' "$T/changes.json")" "the level change"
assert_eq "Nok|cashier|true" "$(jq -r '.changes[1].data | "\(.name)|\(.role)|\(.pin_hash | startswith("$argon2id$"))"' "$T/changes.json")" "the staff change"
assert_eq "TrueMoney" "$(jq -r '.changes[2].data.name' "$T/changes.json")" "the payment method change"
assert_eq "แล้วพบกันใหม่|70000" "$(jq -r '.changes[3].data | "\(.receipt_footer)|\(.tax_rate_ppm)"' "$T/changes.json")" "the shop change"
C2=$(jq -r .cursor "$T/changes.json")
changes "$C0" "&limit=2"
assert_eq "2|true" "$(jq -r '"\(.changes | length)|\(.more)"' "$T/changes.json")" "a page of 2"
changes "$(jq -r .cursor "$T/changes.json")" "&limit=2"
assert_eq "staff,payment_method" "$(jq -r '[.changes[].type] | join(",")' "$T/changes.json")" "the next page"
ok "product, level, staff, payment method and shop changes, paged"

# ---- another location's levels are not this register's ----
api POST "$A/locations" "$OWNER" '{"name":"Warehouse"}' >/dev/null
W=$(jq -r .location.id "$T/api.body")
api POST "$A/inventory/set" "$OWNER" "$(jq -cn --arg l "$W" --arg s "$SKU" '{location_id:$l, sku:$s, available:500}')" >/dev/null
[ "$HTTP_STATUS" = 200 ] || fail "count at the warehouse: $HTTP_STATUS"
changes "$C2"
assert_eq 0 "$(jq '.changes | length' "$T/changes.json")" "changes for this register"
C3=$(jq -r .cursor "$T/changes.json")
[ "$C3" -gt "$C2" ] || fail "the cursor did not move past the other location's change"
ok "levels of another location are skipped, the cursor moves on"

# ---- long poll ----
t0=$(ms)
changes "$C3" "&wait=1"
t1=$(ms)
assert_eq 0 "$(jq '.changes | length' "$T/changes.json")" "an empty long poll"
[ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -lt 3000 ] || fail "wait=1 took $((t1 - t0)) ms"
curl -sS -m 30 -o "$T/poll.json" -H "Authorization: Bearer $RT" \
	"$A/sync/changes?since=$C3&wait=20" &
POLL=$!
sleep 0.5
t0=$(ms)
set_level "$SKU" 41
wait "$POLL" || fail "the long poll failed"
t1=$(ms)
assert_eq "level|41" "$(jq -r '.changes[0] | "\(.type)|\(.data.available)"' "$T/poll.json")" "the change that woke the poll"
[ $((t1 - t0)) -lt 1000 ] || fail "the long poll answered $((t1 - t0)) ms after the change"
C4=$(jq -r .cursor "$T/poll.json")
ok "a long poll returns at once when a change commits ($((t1 - t0)) ms)"

# A second server process on the same database: its changes wake this
# server's long poll by the one-second re-check.
PORT2=$(free_port)
"$TALAD_SERVER" serve --data "$T/server" --listen "127.0.0.1:$PORT2" >"$T/server2.log" 2>&1 &
PIDS+=($!)
S2=$!
wait_http "http://127.0.0.1:$PORT2/api/v1/health" || fail "second server"
curl -sS -m 30 -o "$T/poll.json" -H "Authorization: Bearer $RT" \
	"$A/sync/changes?since=$C4&wait=20" &
POLL=$!
sleep 0.5
t0=$(ms)
api POST "http://127.0.0.1:$PORT2/api/v1/inventory/set" "$OWNER" \
	"$(jq -cn --arg l "$LOC" --arg s "$SKU" '{location_id:$l, sku:$s, available:40}')" >/dev/null
[ "$HTTP_STATUS" = 200 ] || fail "a count through the second server: $HTTP_STATUS"
wait "$POLL" || fail "the long poll failed"
t1=$(ms)
assert_eq "level|40" "$(jq -r '.changes[0] | "\(.type)|\(.data.available)"' "$T/poll.json")" "a change from the other process"
[ $((t1 - t0)) -lt 2500 ] || fail "a change from another process took $((t1 - t0)) ms"
stop_server "$S2"
ok "a change written by another process wakes the poll ($((t1 - t0)) ms)"

# ---- bad cursors and the feed's horizon ----
api GET "$A/sync/changes" "$RT" >/dev/null
assert_eq 400 "$HTTP_STATUS" "changes without since"
api GET "$A/sync/changes?since=-1" "$RT" >/dev/null
assert_eq 400 "$HTTP_STATUS" "a negative since"
api GET "$A/sync/changes?since=0&wait=61" "$RT" >/dev/null
assert_eq 400 "$HTTP_STATUS" "wait over 60"
api GET "$A/sync/changes?since=0&limit=1001" "$RT" >/dev/null
assert_eq 400 "$HTTP_STATUS" "limit over 1000"
api GET "$A/sync/changes?since=999999" "$RT" >/dev/null
assert_eq "410|cursor_gone" "$HTTP_STATUS|$(jq -r .error.code "$T/api.body")" "a cursor ahead of the server"

stop_server "$SERVER_PID"
start_server "$T/server" "$PORT" --feed-keep 3
for n in 1 2 3 4 5; do set_level "$SKU" "$n"; done
api GET "$A/sync/changes?since=$C0" "$RT" >/dev/null
assert_eq "410|cursor_gone" "$HTTP_STATUS|$(jq -r .error.code "$T/api.body")" "a pruned cursor"
api GET "$A/sync/snapshot" "$RT" >"$T/snap.json"
C5=$(jq -r .cursor "$T/snap.json")
assert_eq 5 "$(jq -r --arg s "$SKU" '.products[].variants[] | select(.sku == $s) | .available' "$T/snap.json")" "the level in a new snapshot"
changes "$C5"
assert_eq 0 "$(jq '.changes | length' "$T/changes.json")" "nothing after the new snapshot"
changes "$((C5 - 2))"
assert_eq "level|5" "$(jq -r '.changes[-1] | "\(.type)|\(.data.available)"' "$T/changes.json")" "a cursor still kept"
ok "410 cursor_gone past --feed-keep; a fresh snapshot recovers"
