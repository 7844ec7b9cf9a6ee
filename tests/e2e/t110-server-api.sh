#!/usr/bin/env bash
# t110: the admin API: login, wrong passwords and the lock-out, tokens of
# the wrong kind, products with bad fields (400 naming the field) and
# duplicates (409), updates and deletes, stock counts, settings, paging with
# next_cursor, body caps, and server_time in every answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server-lib.sh"

new_shop
A="$URL/api/v1"

# expect STATUS WHAT: checks the last api call.
expect() {
	[ "$HTTP_STATUS" = "$1" ] || fail "$2: HTTP $HTTP_STATUS, expected $1: $(cat "$T/api.body")"
	jq -e '.server_time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z$")' "$T/api.body" \
		>/dev/null || fail "$2: no server_time in $(cat "$T/api.body")"
}
# expect_field FIELD: the last answer is a 400 naming FIELD.
expect_field() {
	expect 400 "$2"
	assert_eq "invalid_field|$1" "$(jq -r '.error | "\(.code)|\(.field)"' "$T/api.body")" "$2"
	jq -e --arg f "$1" '.error.message | startswith($f)' "$T/api.body" >/dev/null ||
		fail "$2: the message does not name $1: $(cat "$T/api.body")"
}

# ---- login ----
api POST "$A/auth/login" "" '{"email":"owner@demo.example","password":"demo1234"}' >/dev/null
expect 200 "login"
jq -e '.token | test("^[0-9a-f]{64}$")' "$T/api.body" >/dev/null || fail "login token"
assert_eq owner "$(jq -r .staff.role "$T/api.body")" "login role"
api POST "$A/auth/login" "" '{"email":"OWNER@demo.example","password":"demo1234"}' >/dev/null
expect 200 "login with the e-mail in capitals"
api POST "$A/auth/login" "" '{"email":"owner@demo.example","password":"wrong-one"}' >/dev/null
expect 401 "wrong password"
assert_eq bad_credentials "$(jq -r .error.code "$T/api.body")" "wrong password code"
api POST "$A/auth/login" "" '{"email":"nobody@demo.example","password":"demo1234"}' >/dev/null
expect 401 "unknown e-mail"
api POST "$A/auth/login" "" '{"email":"owner@demo.example"}' >/dev/null
expect_field password "login without a password"
api POST "$A/auth/login" "" '{"email":42,"password":"x"}' >/dev/null
expect_field email "login with a number for an e-mail"
api POST "$A/auth/login" "" '{"email":' >/dev/null
expect 400 "login with broken json"
assert_eq bad_json "$(jq -r .error.code "$T/api.body")" "broken json code"
ok "login, wrong password, bad bodies"

api POST "$A/staff" "$OWNER" '{"name":"Lek","email":"lek@demo.example","role":"manager","password":"lek-pass-1","pin":"4321"}' >/dev/null
expect 201 "new manager"
for i in 1 2 3 4 5; do
	api POST "$A/auth/login" "" '{"email":"lek@demo.example","password":"nope-nope"}' >/dev/null
	expect 401 "failed login $i"
done
curl -sS -D "$T/headers" -o "$T/api.body" -H 'Content-Type: application/json' \
	--data-binary '{"email":"lek@demo.example","password":"lek-pass-1"}' "$A/auth/login"
grep -q "^HTTP/1.1 429" "$T/headers" || fail "no lock-out after 5 failures: $(head -1 "$T/headers")"
grep -qi "^retry-after: [0-9]" "$T/headers" || fail "the lock-out has no Retry-After"
assert_eq locked_out "$(jq -r .error.code "$T/api.body")" "lock-out code"
jq -e '.error.message | test("locked")' "$T/api.body" >/dev/null || fail "lock-out message"
api POST "$A/auth/login" "" '{"email":"owner@demo.example","password":"demo1234"}' >/dev/null
expect 200 "another account is not locked"
ok "lock-out after 5 failed logins (429 with Retry-After)"

# ---- tokens ----
CASHIER=$(staff_token "$URL" cashier@demo.example demo1234)
enrol "Till 1"
api GET "$A/products" "" >/dev/null
expect 401 "no token"
assert_eq missing_token "$(jq -r .error.code "$T/api.body")" "no token code"
api GET "$A/products" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" >/dev/null
expect 401 "unknown token"
api GET "$A/products" "not-a-token" >/dev/null
expect 401 "malformed token"
api GET "$A/products" "$RT" >/dev/null
expect 403 "register token on a staff endpoint"
api GET "$A/sync/snapshot" "$OWNER" >/dev/null
expect 403 "staff token on a register endpoint"
api POST "$A/products" "$CASHIER" '{"title":"X","variants":[{"sku":"X1","price":"1.00"}]}' >/dev/null
expect 403 "a cashier creating a product"
api GET "$A/products?limit=1" "$CASHIER" >/dev/null
expect 200 "a cashier reading products"
TMP=$(staff_token "$URL" cashier@demo.example demo1234)
api POST "$A/auth/logout" "$TMP" >/dev/null
expect 200 "logout"
api GET "$A/products" "$TMP" >/dev/null
expect 401 "a token after logout"
ok "401 for missing and wrong tokens, 403 for the wrong kind or role"

# ---- products ----
api POST "$A/products" "$OWNER" '{"title":"ชาไทย (Thai Tea)","variants":[
	{"sku":"TEA-S","barcode":"8850000000010","title":"Small","price":"25.00"},
	{"sku":"TEA-L","barcode":"12345670","title":"Large","price":"35.5","taxable":false},
	{"sku":"TEA-X","price":"0","tracked":false}]}' >/dev/null
expect 201 "create a product"
PID=$(jq -r .product.id "$T/api.body")
assert_eq "25.00,35.50,0.00" "$(jq -r '[.product.variants[].price] | join(",")' "$T/api.body")" "prices"
assert_eq "true,false,true" "$(jq -r '[.product.variants[].taxable] | join(",")' "$T/api.body")" "taxable"
assert_eq "8850000000010,12345670,null" "$(jq -r '[.product.variants[].barcode] | map(. // "null") | join(",")' "$T/api.body")" "barcodes"
api GET "$A/products/$PID" "$OWNER" >/dev/null
expect 200 "read it back"
assert_eq "ชาไทย (Thai Tea)|3" "$(jq -r '"\(.product.title)|\(.product.variants | length)"' "$T/api.body")" "read back"

bad() { # FIELD BODY WHAT
	api POST "$A/products" "$OWNER" "$2" >/dev/null
	expect_field "$1" "$3"
}
bad title '{"variants":[{"sku":"B1","price":"1.00"}]}' "no title"
bad title '{"title":"","variants":[{"sku":"B1","price":"1.00"}]}' "empty title"
bad title '{"title":7,"variants":[{"sku":"B1","price":"1.00"}]}' "numeric title"
bad variants '{"title":"B"}' "no variants"
bad variants '{"title":"B","variants":[]}' "no variant in the list"
bad 'variants[0].price' '{"title":"B","variants":[{"sku":"B1","price":1.5}]}' "a numeric price"
bad 'variants[0].price' '{"title":"B","variants":[{"sku":"B1","price":"1.234"}]}' "three decimals in THB"
bad 'variants[0].price' '{"title":"B","variants":[{"sku":"B1","price":"-1.00"}]}' "a negative price"
bad 'variants[0].price' '{"title":"B","variants":[{"sku":"B1"}]}' "no price"
bad 'variants[1].sku' '{"title":"B","variants":[{"sku":"B1","price":"1"},{"price":"1"}]}' "no sku"
bad 'variants[0].barcode' '{"title":"B","variants":[{"sku":"B1","barcode":"8850000000018","price":"1"}]}' "a bad EAN-13 check digit"
bad 'variants[0].barcode' '{"title":"B","variants":[{"sku":"B1","barcode":"12345678","price":"1"}]}' "a bad EAN-8 check digit"
bad 'variants[0].barcode' '{"title":"B","variants":[{"sku":"B1","barcode":"036000291453","price":"1"}]}' "a bad UPC-A check digit"
bad 'variants[0].barcode' '{"title":"B","variants":[{"sku":"B1","barcode":"has space","price":"1"}]}' "a barcode with a space"
bad 'variants[0].taxable' '{"title":"B","variants":[{"sku":"B1","price":"1","taxable":"yes"}]}' "a string for taxable"
bad 'variants[0].colour' '{"title":"B","variants":[{"sku":"B1","price":"1","colour":"red"}]}' "an unknown variant field"
bad 'variants[1].sku' '{"title":"B","variants":[{"sku":"B1","price":"1"},{"sku":"B1","price":"2"}]}' "a SKU twice in one product"
bad id '{"id":"01900000-0000-7000-8000-000000000001","title":"B","variants":[{"sku":"B1","price":"1"}]}' "a client-chosen id"
assert_eq 0 "$(api_all /api/v1/products products | jq '[.[] | select(.title == "B")] | length')" "products made by bad requests"
ok "bad product fields: 400 naming the field, nothing stored"

api POST "$A/products" "$OWNER" '{"title":"Dup","variants":[{"sku":"TEA-S","price":"1"}]}' >/dev/null
expect 409 "a duplicate SKU"
jq -e '.error.message | test("TEA-S")' "$T/api.body" >/dev/null || fail "409 does not name the SKU"
api POST "$A/products" "$OWNER" '{"title":"Dup","variants":[{"sku":"DUP-1","barcode":"8850000000010","price":"1"}]}' >/dev/null
expect 409 "a duplicate barcode"
assert_eq 0 "$(api_all /api/v1/products products | jq '[.[] | select(.title == "Dup")] | length')" "products made by duplicates"
ok "duplicate SKU or barcode: 409"

S_ID=$(api GET "$A/products/$PID" "$OWNER" | jq -r '.product.variants[0].id')
api PUT "$A/products/$PID" "$OWNER" "$(jq -cn --arg v "$S_ID" '{title:"ชาไทย (Thai Tea)",
	variants:[{id:$v, sku:"TEA-S", barcode:"8850000000010", title:"Small", price:"27.00"},
		  {sku:"TEA-M", title:"Medium", price:"30.00"}]}')" >/dev/null
expect 200 "update a product"
api GET "$A/products/$PID" "$OWNER" >/dev/null
assert_eq "TEA-S=27.00,TEA-M=30.00" "$(jq -r '[.product.variants[] | "\(.sku)=\(.price)"] | join(",")' "$T/api.body")" "variants after the update"
assert_eq "$S_ID" "$(jq -r '.product.variants[0].id' "$T/api.body")" "the kept variant's id"
OTHER=$(api_all /api/v1/products products | jq -r --arg p "$PID" '[.[] | select(.id != $p)][0].variants[0].id')
api PUT "$A/products/$PID" "$OWNER" "$(jq -cn --arg v "$OTHER" '{title:"T", variants:[{id:$v, sku:"TEA-Z", price:"1"}]}')" >/dev/null
expect_field 'variants[0].id' "a variant of another product"
api PUT "$A/products/01900000-0000-7000-8000-0000000000ff" "$OWNER" '{"title":"T","variants":[{"sku":"NOPE-1","price":"1"}]}' >/dev/null
expect 404 "update of a missing product"
api POST "$A/products" "$OWNER" '{"title":"Gone","variants":[{"sku":"GONE-1","price":"1"}]}' >/dev/null
GONE=$(jq -r .product.id "$T/api.body")
api DELETE "$A/products/$GONE" "$OWNER" >/dev/null
expect 200 "delete a product"
api GET "$A/products/$GONE" "$OWNER" >/dev/null
expect 404 "a deleted product"
api POST "$A/products" "$OWNER" '{"title":"Again","variants":[{"sku":"GONE-1","price":"1"}]}' >/dev/null
expect 201 "the SKU of a deleted product is free again"
ok "update (variants kept, added, removed), delete"

# ---- inventory ----
api POST "$A/inventory/set" "$OWNER" "$(jq -cn --arg l "$LOC" '{location_id:$l, sku:"TEA-S", available:5}')" >/dev/null
expect 200 "stock count"
assert_eq "5|5|false" "$(jq -r '"\(.level.available)|\(.delta)|\(.level.oversold)"' "$T/api.body")" "count to 5"
api POST "$A/inventory/set" "$OWNER" "$(jq -cn --arg l "$LOC" '{location_id:$l, sku:"TEA-S", available:3}')" >/dev/null
assert_eq "3|-2" "$(jq -r '"\(.level.available)|\(.delta)"' "$T/api.body")" "count to 3 is a delta of -2"
api POST "$A/inventory/set" "$OWNER" "$(jq -cn --arg l "$LOC" '{location_id:$l, sku:"TEA-M", available:-2}')" >/dev/null
assert_eq "-2|true" "$(jq -r '"\(.level.available)|\(.level.oversold)"' "$T/api.body")" "a negative count is oversold"
assert_eq 3 "$(level TEA-S)" "level in GET /inventory"
assert_eq true "$(level_oversold TEA-M)" "oversold in GET /inventory"
api POST "$A/inventory/set" "$OWNER" "$(jq -cn --arg l "$LOC" '{location_id:$l, sku:"NO-SUCH", available:1}')" >/dev/null
expect 404 "count of an unknown SKU"
api POST "$A/products" "$OWNER" '{"title":"Gift wrapping","variants":[{"sku":"SVC-WRAP","price":"10","tracked":false}]}' >/dev/null
expect 201 "an untracked product"
api POST "$A/inventory/set" "$OWNER" "$(jq -cn --arg l "$LOC" '{location_id:$l, sku:"SVC-WRAP", available:1}')" >/dev/null
expect 409 "count of an untracked variant"
api POST "$A/inventory/set" "$OWNER" "$(jq -cn --arg l "$LOC" '{location_id:$l, sku:"TEA-S", available:"7"}')" >/dev/null
expect_field available "a string for available"
api POST "$A/inventory/set" "$OWNER" '{"location_id":"nope","sku":"TEA-S","available":1}' >/dev/null
expect_field location_id "a bad location id"
assert_eq 3 "$(level TEA-S)" "level after refused counts"
ok "stock counts become deltas; oversold shown"

# ---- paging ----
for lim in 1 7 500; do
	cursor=""
	seen=0
	pages=0
	: >"$T/ids"
	while :; do
		url="$A/products?limit=$lim"
		[ -n "$cursor" ] && url="$url&cursor=$cursor"
		api GET "$url" "$OWNER" >/dev/null
		expect 200 "page $pages of $lim"
		n=$(jq '.products | length' "$T/api.body")
		[ "$n" -le "$lim" ] || fail "a page of $n with limit $lim"
		jq -r '.products[].id' "$T/api.body" >>"$T/ids"
		seen=$((seen + n))
		pages=$((pages + 1))
		cursor=$(jq -r '.next_cursor // empty' "$T/api.body")
		[ -n "$cursor" ] || break
		[ "$pages" -lt 200 ] || fail "paging does not end"
	done
	[ "$lim" = 500 ] && total=$seen
	assert_eq "$seen" "$(sort -u "$T/ids" | wc -l)" "distinct products over pages of $lim"
done
[ "$total" -ge 50 ] || fail "only $total products over the pages"
api GET "$A/products?limit=7&cursor=$cursor" "$OWNER" >/dev/null
api GET "$A/products?limit=0" "$OWNER" >/dev/null
expect_field limit "limit 0"
api GET "$A/products?limit=abc" "$OWNER" >/dev/null
expect_field limit "limit abc"
api GET "$A/products?cursor=xyz" "$OWNER" >/dev/null
expect_field cursor "a bad cursor"
api GET "$A/inventory?location=$LOC&limit=5" "$OWNER" >/dev/null
[ "$(jq -r .next_cursor "$T/api.body")" != null ] || fail "inventory paging has no next_cursor"
ok "paging with next_cursor (null on the last page) over $total products"

# ---- settings, staff, payment methods ----
api PUT "$A/shop" "$OWNER" '{"tax_rate":"8","receipt_footer":"ขอบคุณค่ะ","cash_increment":"0.50"}' >/dev/null
expect 200 "change settings"
api GET "$A/shop" "$CASHIER" >/dev/null
assert_eq "8|ขอบคุณค่ะ|0.50|Talad Demo Market" "$(jq -r '.shop | "\(.tax_rate)|\(.receipt_footer)|\(.cash_increment)|\(.name)"' "$T/api.body")" "settings after PUT"
api PUT "$A/shop" "$OWNER" '{"currency":"USD"}' >/dev/null
expect_field currency "a change of currency"
api PUT "$A/shop" "$OWNER" '{"tax_rate":"101"}' >/dev/null
expect_field tax_rate "a tax rate over 100"
api PUT "$A/shop" "$OWNER" '{"tax_rounding":"sometimes"}' >/dev/null
expect_field tax_rounding "a bad tax rounding"
api PUT "$A/shop" "$CASHIER" '{"name":"Mine"}' >/dev/null
expect 403 "a cashier changing settings"
api POST "$A/staff" "$OWNER" '{"name":"Dup","email":"LEK@demo.example","role":"cashier","pin":"1234"}' >/dev/null
expect 409 "a duplicate staff e-mail"
api POST "$A/staff" "$OWNER" '{"name":"Nok","role":"cashier","pin":"12"}' >/dev/null
expect_field pin "a short pin"
api POST "$A/staff" "$OWNER" '{"name":"Nok","role":"boss","pin":"1234"}' >/dev/null
expect_field role "an unknown role"
api POST "$A/staff" "$OWNER" '{"name":"Nok","role":"cashier","pin":"2468"}' >/dev/null
expect 201 "a PIN-only cashier"
api POST "$A/payment-methods" "$OWNER" '{"name":"LINE Pay"}' >/dev/null
expect 201 "a payment method"
api POST "$A/payment-methods" "$OWNER" '{"name":"line pay"}' >/dev/null
expect 409 "a duplicate payment method"
api GET "$A/payment-methods" "$CASHIER" >/dev/null
assert_eq 3 "$(jq '.payment_methods | length' "$T/api.body")" "payment methods"
api POST "$A/locations" "$OWNER" '{"name":"Warehouse"}' >/dev/null
expect 201 "a second location"
api GET "$A/registers" "$OWNER" >/dev/null
assert_eq "R01|Till 1" "$(jq -r '.registers[0] | "\(.code)|\(.name)"' "$T/api.body")" "registers"
ok "settings, staff, payment methods, locations"

# ---- the HTTP edges ----
head -c 1100000 /dev/zero | tr '\0' 'x' >"$T/big"
code=$(curl -sS -o "$T/api.body" -w '%{http_code}' -H "Authorization: Bearer $OWNER" \
	-H 'Content-Type: application/json' --data-binary @"$T/big" "$A/products")
assert_eq 413 "$code" "a body over 1 MiB"
assert_eq body_too_large "$(jq -r .error.code "$T/api.body")" "413 code"
api GET "$A/nothing-here" "$OWNER" >/dev/null
expect 404 "an unknown endpoint"
api DELETE "$A/shop" "$OWNER" >/dev/null
expect 405 "a wrong method"
api GET "$A/health" "" >/dev/null
expect 200 "health"
assert_eq ok "$(jq -r .status "$T/api.body")" "health status"
ok "413 over 1 MiB, 404, 405, health"
