# Helpers for the payment tests (t4NN: cards, gift cards, new products,
# shipping), sourced after lib.sh: registers with the simulated card
# reader, gift cards issued through the admin API, and the back office's
# payment records.

# card_reg HOME NAME: a register logged in to the demo shop, with the
# simulated card reader set up.
card_reg() {
	reg_login "$1" "$2" >"$T/login-$(basename "$1").out" 2>&1 ||
		{ cat "$T/login-$(basename "$1").out"; fail "login $2"; }
	reg "$1" config set card-reader simulated >/dev/null || fail "card-reader setting on $2"
}

# gift_issue BALANCE [CODE]: issues a gift card, prints its code.
gift_issue() {
	local body
	if [ -n "${2:-}" ]; then
		body=$(jq -cn --arg b "$1" --arg c "$2" '{balance: $b, code: $c}')
	else
		body=$(jq -cn --arg b "$1" '{balance: $b}')
	fi
	api POST "$URL/api/v1/gift-cards" "$OWNER" "$body" >"$T/gift.json"
	[ "$HTTP_STATUS" = 201 ] || fail "issue gift card: HTTP $HTTP_STATUS: $(cat "$T/gift.json")"
	jq -r .gift_card.code "$T/gift.json"
}

# gift_get CODE FIELD: balance, held, available (decimal strings).
gift_get() {
	api GET "$URL/api/v1/gift-cards/$1" "$OWNER" >"$T/gift-get.json"
	[ "$HTTP_STATUS" = 200 ] || fail "GET gift card $1: HTTP $HTTP_STATUS: $(cat "$T/gift-get.json")"
	jq -r ".gift_card.$2" "$T/gift-get.json"
}

# payments [ORDER_ID]: the back office's payment authorizations (newest
# first) as one JSON array, all or those of one order.
payments() {
	if [ -n "${1:-}" ]; then
		api_all "/api/v1/payments?order_id=$1" payments
	else
		api_all /api/v1/payments payments
	fi
}

# server_order ID: the order as GET /api/v1/orders/ID answers it.
server_order() {
	api GET "$URL/api/v1/orders/$1" "$OWNER" >"$T/order.json"
	[ "$HTTP_STATUS" = 200 ] || fail "GET order $1: HTTP $HTTP_STATUS: $(cat "$T/order.json")"
	jq .order "$T/order.json"
}

# reg_order_count HOME: orders recorded on the register.
reg_order_count() {
	reg "$1" orders --json | jq 'if type == "array" then length else .orders | length end'
}

# expect_rc WANT WHAT COMMAND...: runs the command (output in $T/out) and
# fails unless it exits with WANT.
expect_rc() {
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || fail "$what: exit $rc, wanted $want: $(cat "$T/out")"
}
