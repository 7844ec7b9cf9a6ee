#!/usr/bin/env bash
# Barcodes end to end: a register logged in to the demo shop sells an in-store
# weight code (scale-barcode-template) at the weighed price and refuses a
# misread check digit; prints labels offline as PNG that zbarimg reads back
# and as ZPL; and `talad scanner test` reports wedge scans with their kind
# and check-digit verdict.
. "$(dirname "$0")/lib.sh"

new_shop
H="$T/reg1"
out=$(reg_login "$H" "Till 1") || fail "login: $out"

# A weighed item, listed by its in-store code with the weight zeroed.
body='{"title":"กล้วยหอม (Bananas)","variants":[{"sku":"FRUIT-BANANA-KG","barcode":"2000042000004","price":"89.00","taxable":false,"tracked":false}]}'
api POST "$URL/api/v1/products" "$OWNER" "$body" >/dev/null
assert_eq 201 "$HTTP_STATUS" "create the weighed product"
reg "$H" sync >/dev/null || fail "sync after the new product"

if out=$(reg "$H" config set scale-barcode-template "20IIIIIWWWWW" 2>&1); then
	fail "a template without its check digit was stored: $out"
fi
grep -q 'must end with C, the check digit' <<<"$out" || fail "bad template refused without reason: $out"
if out=$(reg "$H" config set scanner bluetooth 2>&1); then
	fail "a bad scanner setting was stored: $out"
fi
reg "$H" config set scale-barcode-template "20IIIIIWWWWWC,21IIIIIPPPPPC" >/dev/null ||
	fail "config set scale-barcode-template"
ok "config set checks the scanner and template settings"
# 1.250 kg of bananas: 200004 2 01250 + check digit 2.
sale=$(reg "$H" sell 2000042012502 --pay cash --json) || fail "sell weighed: $sale"
assert_eq 111.25 "$(jq -r .total <<<"$sale")" "weighed total (89.00 x 1.250 kg)"
id=$(jq -r .id <<<"$sale")
api GET "$URL/api/v1/orders/$id" "$OWNER" >"$T/order.json"
assert_eq 200 "$HTTP_STATUS" "the weighed sale on the back office"
title=$(jq -r '(.lines // .order.lines)[0].title' "$T/order.json")
case "$title" in *"1.250 kg") ;; *) fail "line title without the weight: $title" ;; esac
ok "sold an in-store weight code: $title for 111.25"

# A misread (last digit wrong) is refused and sells nothing.
if out=$(reg "$H" sell 2000042012503 --pay cash 2>&1); then
	fail "a bad check digit was sold: $out"
fi
grep -q 'bad check digit' <<<"$out" || fail "refusal without the reason: $out"
assert_eq 1 "$(reg "$H" orders --json | jq -r '.orders | length')" \
	"orders after the refused scan"
ok "a misread check digit is refused: $out"

# Labels work offline: stop the back office first.
stop_server "$SERVER_PID"

reg "$H" labels DRK-PEPSI-345 FRUIT-BANANA-KG --out "$T/shelf.png" >"$T/labels.out" ||
	fail "labels png: $(cat "$T/labels.out")"
[ -s "$T/shelf-1.png" ] && [ -s "$T/shelf-2.png" ] || fail "label files missing: $(ls "$T")"
if command -v zbarimg >/dev/null; then
	got=$(zbarimg --raw -q "$T/shelf-2.png" 2>/dev/null) || fail "zbarimg cannot read the label"
	assert_eq 2000042000004 "$got" "the banana label's barcode"
	got=$(zbarimg --raw -q "$T/shelf-1.png" 2>/dev/null) || fail "zbarimg cannot read the label"
	[[ "$got" =~ ^8851234[0-9]{6}$ ]] || fail "the pepsi label reads '$got'"
	ok "offline PNG labels read back: $got, 2000042000004"
else
	ok "offline PNG labels written (zbarimg missing: zbar-tools; not read back)"
fi

zpl=$(reg "$H" labels DRK-PEPSI-345 --copies 3 --format zpl --out -) || fail "labels zpl: $zpl"
grep -q '^\^XA$' <<<"$zpl" || fail "no ^XA: $zpl"
grep -q '^\^PQ3$' <<<"$zpl" || fail "no ^PQ3: $zpl"
grep -q '\^BEN,[0-9]*,Y,N\^FD8851234[0-9]\{5\}\^FS' <<<"$zpl" || fail "no EAN-13 field: $zpl"
grep -q '15.00 THB' <<<"$zpl" || fail "no price: $zpl"
ok "ZPL label with ^BE, the price and ^PQ3"

if out=$(reg "$H" labels NO-SUCH-SKU --out "$T/none.zpl" 2>&1); then
	fail "a label for an unknown sku: $out"
fi
[ ! -e "$T/none.zpl" ] || fail "a file was written for an unknown sku"
ok "unknown sku refused, nothing written: $out"

# The scanner check, with a keyboard wedge on standard input.
out=$(printf '8851234000012\n8851234000013\nDRK-PEPSI-345\n' | reg "$H" scanner test 2>/dev/null) ||
	fail "scanner test: $out"
line1=$(sed -n 1p <<<"$out")
line2=$(sed -n 2p <<<"$out")
line3=$(sed -n 3p <<<"$out")
[[ "$line1" == $'8851234000012\tean13\tvalid\t'* ]] || fail "first scan: $line1"
assert_eq $'8851234000013\tean13\tbad check digit' "$line2" "second scan"
[[ "$line3" == $'DRK-PEPSI-345\tother\tvalid\t'*$'\t15.00' ]] || fail "third scan: $line3"
json=$(printf '2000042012502\n' | reg "$H" scanner test --json 2>/dev/null)
assert_eq 1.250 "$(jq -r .weight_kg <<<"$json")" "scanner test --json weight"
assert_eq 111.25 "$(jq -r .price <<<"$json")" "scanner test --json price"
ok "scanner test: kinds, verdicts, and what each scan sells as"
