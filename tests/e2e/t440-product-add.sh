#!/usr/bin/env bash
# t440: `talad product add` creates the product on the back office; the
# register that added it sells it at once, another register after its next
# pull. A SKU or barcode in use and bad input are refused. Offline: exit 75
# with the hint that a custom line item can be sold instead; nothing is
# created.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pay-lib.sh"

# ean13 TWELVE_DIGITS: the code with its check digit.
ean13() {
	local d=$1 sum=0 i
	for i in $(seq 0 11); do
		sum=$((sum + ${d:$i:1} * (i % 2 ? 3 : 1)))
	done
	echo "$d$(((10 - sum % 10) % 10))"
}

new_shop
A="$T/reg-a"
B="$T/reg-b"
reg_login "$A" "Counter A" >"$T/la.out" 2>&1 || { cat "$T/la.out"; fail "login A"; }
reg_login "$B" "Counter B" >"$T/lb.out" 2>&1 || { cat "$T/lb.out"; fail "login B"; }
BC=$(ean13 885777123456)

out=$(reg "$A" product add --title "Mango sticky rice" --price 65.50 --sku MSR-01 --barcode "$BC" --json) ||
	fail "product add: $out"
assert_eq "true 65.50 MSR-01" "$(jq -r '"\(.on_this_register) \(.price) \(.sku)"' <<<"$out")" "the answer"
P=$(api_all /api/v1/products products | jq -c '[.[] | select(.title == "Mango sticky rice")]')
assert_eq 1 "$(jq length <<<"$P")" "products of that title on the back office"
assert_eq "MSR-01 $BC 65.50 false" \
	"$(jq -r '.[0].variants[0] | "\(.sku) \(.barcode) \(.price) \(.tracked)"' <<<"$P")" "the variant"
sale=$(reg "$A" sell "$BC" --pay cash --json) || fail "A sells the new product by barcode: $sale"
assert_eq 65.50 "$(jq -r .total <<<"$sale")" "total of the new product"
ok "added on the back office; this register sells it at once"

expect_rc 1 "B before its pull" reg "$B" sell MSR-01 --pay cash
grep -q "no item" "$T/out" || fail "B: $(cat "$T/out")"
reg "$B" sync >/dev/null || fail "sync B"
sale=$(reg "$B" sell MSR-01 --pay cash --json) || fail "B sells the new product after its pull: $sale"
assert_eq 65.50 "$(jq -r .total <<<"$sale")" "total on B"
ok "another register sells it after its next pull"

# Without a SKU one is made from the register's code.
out=$(reg "$A" product add --title "Iced tea" --price 25 --tracked --json) || fail "product add without sku: $out"
[[ "$(jq -r .sku <<<"$out")" =~ ^R01-[0-9A-F]{8}$ ]] || fail "made-up sku: $out"
assert_eq true "$(jq -r .tracked <<<"$out")" "--tracked"
ok "a SKU is made when none is given"

n=$(api_all /api/v1/products products | jq length)
expect_rc 1 "a SKU in use" reg "$A" product add --title Other --price 1 --sku MSR-01
grep -q "already used" "$T/out" || fail "duplicate sku: $(cat "$T/out")"
expect_rc 1 "a barcode in use" reg "$A" product add --title Other --price 1 --barcode "$BC"
expect_rc 2 "no price" reg "$A" product add --title Other
expect_rc 2 "a bad price" reg "$A" product add --title Other --price 1.234
expect_rc 2 "a negative price" reg "$A" product add --title Other --price -5
expect_rc 2 "a bad check digit" reg "$A" product add --title Other --price 1 --barcode 8851234000019
expect_rc 2 "an empty title" reg "$A" product add --title "" --price 1
expect_rc 2 "no action" reg "$A" product
assert_eq "$n" "$(api_all /api/v1/products products | jq length)" "products after the refusals"
ok "SKU or barcode in use and bad input refused; nothing created"

stop_server "$SERVER_PID"
rc=0
reg "$A" product add --title "Durian" --price 300 --sku DUR-1 >"$T/off.out" 2>&1 || rc=$?
assert_eq 75 "$rc" "product add offline"
grep -q "custom:Durian=300.00" "$T/off.out" || fail "no custom line item hint: $(cat "$T/off.out")"
reg "$A" sell "custom:Durian=300.00" --pay cash >/dev/null || fail "the custom line item the hint offers"
serve_again
assert_eq 0 "$(api_all /api/v1/products products | jq '[.[] | select(.title == "Durian")] | length')" \
	"Durian on the back office"
ok "offline: 75 with the custom line item hint, which sells; nothing created"
