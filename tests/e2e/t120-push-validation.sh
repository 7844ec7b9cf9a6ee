#!/usr/bin/env bash
# t120: what /sync/push refuses and what it must never store twice:
# malformed JSON, an oversized body (413), a gap in seq (nothing applied
# past it), a replayed batch and a replayed order (duplicates, nothing
# doubled), tampered totals (rejected, recorded, seq advanced), wrong and
# missing tokens (401/403). After each, the API shows nothing stored that
# should not be.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server-lib.sh"

new_shop
enrol "Till 1"
SKU=$(tracked_sku)
VID=$(variant_of "$SKU")
set_level "$SKU" 10

# state: orders|level|rejections|acked seq as the registers list shows it
state() {
	echo "$(order_count)|$(level "$SKU")|$(api_all /api/v1/rejections rejections | jq length)"
}
expect_push() { # STATUS WHAT
	[ "$HTTP_STATUS" = "$1" ] || fail "$2: HTTP $HTTP_STATUS, expected $1: $(cat "$T/push.json")"
	jq -e .server_time "$T/push.json" >/dev/null || fail "$2: no server_time"
}

O1=$(new_uuid)
M1=$(mutation 1 order.create "$(order_json "$O1" "$RCODE-000001" "$VID")")
BODY1=$(push_body "$M1")
assert_eq "0|10|0" "$(state)" "state before"

# ---- malformed ----
push '{"register_id": "'"$RID"'", "mutations": ['
expect_push 400 "truncated json"
assert_eq bad_json "$(jq -r .error.code "$T/push.json")" "truncated json code"
push "${BODY1%?}"
expect_push 400 "json missing its last brace"
push 'not json at all'
expect_push 400 "not json"
push '[]'
expect_push 400 "an array body"
push "$(jq -c '.mutations[0].seq = "1"' <<<"$BODY1")"
expect_push 400 "a string seq"
assert_eq "mutations[0].seq" "$(jq -r .error.field "$T/push.json")" "the field of a string seq"
push "$(jq -c 'del(.mutations[0].op_id)' <<<"$BODY1")"
expect_push 400 "no op_id"
push "$(jq -c '.mutations[0].payload = "x"' <<<"$BODY1")"
expect_push 400 "a string payload"
push "$(jq -c '.extra = 1' <<<"$BODY1")"
expect_push 400 "an unknown field"
push "$(jq -c '.mutations = [.mutations[0], .mutations[0]]' <<<"$BODY1")"
expect_push 400 "a seq that does not grow"
# A good mutation before a malformed one: the whole batch is refused.
push "$(push_body "$M1" '{"seq":2,"op_id":"x","type":"order.create","created_at":"2026-12-04T19:48:11.000Z","payload":{}}')"
expect_push 400 "a good mutation then a bad one"
assert_eq "mutations[1].op_id" "$(jq -r .error.field "$T/push.json")" "the field of the bad one"
assert_eq "0|10|0" "$(state)" "state after malformed pushes"
ok "malformed bodies: 400, nothing applied"

# ---- size ----
{
	printf '{"register_id":"%s","mutations":[],"pad":"' "$RID"
	head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'x'
	printf '"}'
} >"$T/huge.json"
code=$(curl -sS -o "$T/push.json" -w '%{http_code}' -H "Authorization: Bearer $RT" \
	-H 'Content-Type: application/json' --data-binary @"$T/huge.json" "$URL/api/v1/sync/push")
assert_eq 413 "$code" "a 9 MiB push"
assert_eq body_too_large "$(jq -r .error.code "$T/push.json")" "413 code"
assert_eq "0|10|0" "$(state)" "state after the oversized push"
ok "a body over 8 MiB: 413"

# ---- tokens ----
push_as() { # TOKEN BODY
	api POST "$URL/api/v1/sync/push" "$1" "$2" >"$T/push.json"
}
push_as "" "$BODY1"
expect_push 401 "no token"
push_as "$(printf '%064d' 0)" "$BODY1"
expect_push 401 "a wrong token"
push_as "$OWNER" "$BODY1"
expect_push 403 "a staff token"
RT1=$RT RID1=$RID
enrol "Till 2"
RT2=$RT
RT=$RT1 RID=$RID1
push_as "$RT2" "$BODY1"
expect_push 403 "another register's token"
assert_eq wrong_register "$(jq -r .error.code "$T/push.json")" "another register's code"
assert_eq "0|10|0" "$(state)" "state after pushes with bad tokens"
ok "missing or wrong token 401, staff or another register's token 403"

# ---- applied, gaps, duplicates ----
push "$BODY1"
expect_push 200 "the first order"
assert_eq "1|applied" "$(jq -r '"\(.acked_through)|\(.results[0].status)"' "$T/push.json")" "first push"
assert_eq "1|9|0" "$(state)" "state after the first order"

O2=$(new_uuid) O3=$(new_uuid)
M2=$(mutation 2 order.create "$(order_json "$O2" "$RCODE-000002" "$VID" 2)")
M3=$(mutation 3 order.create "$(order_json "$O3" "$RCODE-000003" "$VID")")
push "$(push_body "$M3")"
expect_push 200 "a push past a gap"
assert_eq "1|0" "$(jq -r '"\(.acked_through)|\(.results | length)"' "$T/push.json")" "nothing past the gap"
assert_eq "1|9|0" "$(state)" "state after the gap"
O4=$(new_uuid)
M4=$(mutation 4 order.create "$(order_json "$O4" "$RCODE-000004" "$VID")")
push "$(push_body "$M2" "$M4")"
expect_push 200 "seq 2 then a gap"
assert_eq "2|2:applied" "$(jq -r '"\(.acked_through)|\([.results[] | "\(.seq):\(.status)"] | join(","))"' "$T/push.json")" "applied up to the gap"
assert_eq "2|7|0" "$(state)" "state: seq 2 applied, 4 not"
ok "a gap: the batch stops there, acked_through says where"

push "$(push_body "$M1" "$M2")"
expect_push 200 "a replayed batch"
assert_eq "2|duplicate,duplicate" "$(jq -r '"\(.acked_through)|\([.results[].status] | join(","))"' "$T/push.json")" "replayed batch"
# The same order again under a new seq and op_id (a register that lost its
# ack and re-queued the sale) is a duplicate too.
push "$(push_body "$(mutation 3 order.create "$(order_json "$O1" "$RCODE-000001" "$VID")")" "$M4")"
expect_push 200 "an order replayed under a new seq"
assert_eq "4|3:duplicate,4:applied" "$(jq -r '"\(.acked_through)|\([.results[] | "\(.seq):\(.status)"] | join(","))"' "$T/push.json")" "replayed order"
# The same op_id under a new seq: a duplicate as well.
OP=$(jq -r .op_id <<<"$M4")
push "$(push_body "$(mutation 5 order.create "$(order_json "$(new_uuid)" "$RCODE-000005" "$VID")" "$OP")")"
expect_push 200 "an op_id replayed under a new seq"
assert_eq "5|duplicate" "$(jq -r '"\(.acked_through)|\(.results[0].status)"' "$T/push.json")" "replayed op_id"
ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq "3|6|0" "$(state)" "state after replays: 3 orders, 4 units sold"
ok "replays are duplicates: nothing stored or counted twice"

# ---- business rejections ----
O6=$(new_uuid)
BAD=$(order_json "$O6" "$RCODE-000006" "$VID" | jq -c '.tax_total = 701')
M6=$(mutation 6 order.create "$BAD")
O7=$(new_uuid)
M7=$(mutation 7 order.create "$(order_json "$O7" "$RCODE-000007" "$VID")")
push "$(push_body "$M6" "$M7")"
expect_push 200 "tampered totals"
assert_eq "7|rejected|totals_mismatch|applied" \
	"$(jq -r '"\(.acked_through)|\(.results[0].status)|\(.results[0].error.code)|\(.results[1].status)"' "$T/push.json")" \
	"a rejected order does not block the next"
REJ=$(api_all /api/v1/rejections rejections)
assert_eq "6|order.create|totals_mismatch|$O6" \
	"$(jq -r '.[0] | "\(.seq)|\(.type)|\(.error.code)|\(.payload.id)"' <<<"$REJ")" "the recorded rejection"
api GET "$URL/api/v1/orders/$O6" "$OWNER" >/dev/null
assert_eq 404 "$HTTP_STATUS" "the rejected order is not stored"
assert_eq "4|5|1" "$(state)" "state after a rejection: the level untouched by it"
push "$(push_body "$M6")"
assert_eq "7|duplicate" "$(jq -r '"\(.acked_through)|\(.results[0].status)"' "$T/push.json")" "a rejected seq replayed"
assert_eq "4|5|1" "$(state)" "state after replaying the rejection"

M8=$(mutation 8 order.create "$(order_json "$(new_uuid)" "$RCODE-000008" "$VID" | jq -c '.currency = "USD"')")
M9=$(mutation 9 order.create "$(order_json "$(new_uuid)" "$RCODE-000009" "$VID" | jq -c ".register_id = \"$(new_uuid)\"")")
M10=$(mutation 10 stock.teleport '{"x":1}')
push "$(push_body "$M8" "$M9" "$M10")"
assert_eq "10|currency_mismatch,wrong_register,unknown_type" \
	"$(jq -r '"\(.acked_through)|\([.results[].error.code] | join(","))"' "$T/push.json")" "other rejections"
assert_eq "4|5|4" "$(state)" "state after more rejections"
ok "tampered totals and other refusals: rejected, recorded, seq advanced"

# ---- other mutation types ----
DRAWER=$(new_uuid)
M11=$(mutation 11 drawer.open "$(jq -cn --arg id "$DRAWER" '{id:$id, staff_id:null, reason:"change for a 1000", opened_at:"2026-12-04T19:50:00.000Z"}')")
M12=$(mutation 12 receipt.email "$(jq -cn --arg o "$O1" '{order_id:$o, email:"somchai@example.com"}')")
M13=$(mutation 13 drawer.open '{"id":"nope","reason":"x","opened_at":"2026-12-04T19:50:00.000Z"}')
push "$(push_body "$M11" "$M12" "$M13")"
assert_eq "13|applied,applied,rejected" \
	"$(jq -r '"\(.acked_through)|\([.results[].status] | join(","))"' "$T/push.json")" "drawer and receipt mutations"
api GET "$URL/api/v1/drawer-events" "$OWNER" >/dev/null
assert_eq "$DRAWER|change for a 1000|$RID" \
	"$(jq -r '.drawer_events[0] | "\(.id)|\(.reason)|\(.register_id)"' "$T/api.body")" "the drawer opening"
api GET "$URL/api/v1/mail-queue" "$OWNER" >/dev/null
assert_eq "$O1|somchai@example.com" \
	"$(jq -r '.mail[0] | "\(.order_id)|\(.email)"' "$T/api.body")" "the queued receipt"
push "$(push_body "$M11" "$M12")"
assert_eq "duplicate,duplicate" "$(jq -r '[.results[].status] | join(",")' "$T/push.json")" "replayed drawer and receipt"
api GET "$URL/api/v1/drawer-events" "$OWNER" >/dev/null
assert_eq 1 "$(jq '.drawer_events | length' "$T/api.body")" "drawer openings after the replay"
ok "drawer.open and receipt.email stored once"

# ---- the register's state on the back office ----
push "$(jq -c '.pending = 3' <<<"$(push_body)")"
expect_push 200 "an empty push with pending"
assert_eq 13 "$(jq -r .acked_through "$T/push.json")" "acked_through of an empty push"
api GET "$URL/api/v1/registers" "$OWNER" >/dev/null
assert_eq "3|true" "$(jq -r --arg r "$RID" '.registers[] | select(.id == $r) | "\(.pending)|\(.last_sync != null)"' "$T/api.body")" \
	"pending and last_sync in the register list"
ok "pending and last_sync reported"
