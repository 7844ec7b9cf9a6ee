# Helpers for the back-office tests (t1NN): enrolling a register through
# the API and building sync push bodies by hand. Sourced after lib.sh.

# new_uuid: a random UUID (the server takes any version).
new_uuid() {
	cat /proc/sys/kernel/random/uuid
}

# enrol NAME: a register enrolled with the owner's token; sets RT (its
# token), RID (its id) and RCODE (R01...).
enrol() {
	api POST "$URL/api/v1/registers" "$OWNER" "$(jq -cn --arg n "$1" '{name: $n}')" \
		>"$T/enrol.json"
	[ "$HTTP_STATUS" = 201 ] || fail "enrol $1: HTTP $HTTP_STATUS: $(cat "$T/enrol.json")"
	RT=$(jq -r .token "$T/enrol.json")
	RID=$(jq -r .register.id "$T/enrol.json")
	RCODE=$(jq -r .register.code "$T/enrol.json")
}

# variant_of SKU: the variant id of a SKU.
variant_of() {
	api_all /api/v1/products products |
		jq -r --arg s "$1" '[.[].variants[] | select(.sku == $s)][0].id'
}

# order_json ID NUMBER VARIANT_ID [QTY]: an order of one taxable line at
# 107.00 (VAT 7 % included: tax 7.00), paid in cash, with numbers that add up.
order_json() {
	local qty=${4:-1}
	local gross=$((10700 * qty)) tax=$((700 * qty))
	jq -cn --arg id "$1" --arg num "$2" --arg v "$3" --arg reg "$RID" --arg loc "$LOC" \
		--argjson q "$qty" --argjson g "$gross" --argjson t "$tax" '{
		id: $id, number: $num, register_id: $reg, location_id: $loc, staff_id: null,
		created_at: "2026-12-04T19:48:10.123Z", currency: "THB",
		tax: {rate_ppm: 70000, included: true, rounding: "line"}, order_discount: null,
		lines: [{variant_id: (if $v == "" then null else $v end), sku: null, title: "Test item",
			quantity: $q, unit_price: 10700, taxable: true, discount: null, gross: $g,
			line_discount: 0, order_discount: 0, net: $g, tax: $t, total: $g}],
		subtotal: $g, discount_total: 0, tax_total: $t, total: $g,
		payments: [{method: "cash", name: null, reference: null, card_brand: null,
			card_last4: null, amount: $g, tendered: $g, change: 0}],
		cash_rounding: 0, due: $g, change: 0, email: null, ship_to: null, note: null}'
}

# mutation SEQ TYPE PAYLOAD [OP_ID]: one outbox row.
mutation() {
	jq -cn --argjson s "$1" --arg t "$2" --argjson p "$3" --arg op "${4:-$(new_uuid)}" \
		'{seq: $s, op_id: $op, type: $t, created_at: "2026-12-04T19:48:11.000Z", payload: $p}'
}

# push_body MUTATION...: the body of a push by register RID.
push_body() {
	printf '%s\n' "$@" | jq -cs --arg r "$RID" '{register_id: $r, mutations: .}'
}

# push BODY: POST /sync/push with the register token; the answer goes to
# $T/push.json (HTTP_STATUS set, so not in a subshell).
push() {
	api POST "$URL/api/v1/sync/push" "$RT" "$1" >"$T/push.json"
}

# order_count: how many orders the back office holds.
order_count() {
	server_orders | jq length
}
