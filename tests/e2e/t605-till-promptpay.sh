#!/usr/bin/env bash
# A custom payment method with a QR code: the owner sets the shop's
# PromptPay id in the back office, the till picks it up with the next pull,
# and paying by "PromptPay QR" draws a QR code on the screen that a reader
# decodes into the PromptPay payload for that amount. The sale records the
# custom method and the reference the cashier typed from the customer's app.
# The register's own promptpay-id wins over the shop's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"
command -v zbarimg >/dev/null 2>&1 || { echo "zbarimg is not installed"; exit 77; }

new_shop
reg_login "$T/reg" "Counter 1" >/dev/null || fail "login"
products=$(api_all /api/v1/products products)
b1=$(jq -r '[.[].variants[] | select(.barcode != null)][0].barcode' <<<"$products")
p1=$(jq -r --arg b "$b1" '[.[].variants[] | select(.barcode == $b)][0].price' <<<"$products")
till_start "$T/reg"
expect 10 "The till is locked"
keys 1111 Enter
expect 10 "ONLINE +pending: 0"

api PUT "$URL/api/v1/shop" "$OWNER" '{"promptpay_id": "0812345678"}' >/dev/null
[ "$HTTP_STATUS" = 200 ] || fail "PUT /shop: HTTP $HTTP_STATUS"
wait_until 10 sh -c "sqlite3 '$T/reg/register.db' \"select promptpay_id from shop\" | grep -q 0812345678" ||
	fail "the PromptPay id did not reach the register"

# pay_promptpay: a cart of b1 paid by PromptPay QR, up to the QR screen.
pay_promptpay() {
	keys "$b1" Enter
	expect 5 "Items 1 "
	keys F5
	expect 5 "PromptPay QR" "the custom method is offered"
	n=$(screen | sed -n 's/^ *\([1-9]\)  PromptPay QR.*/\1/p' | head -n 1)
	[ -n "$n" ] || fail "no number for PromptPay QR"
	keys "$n"
	expect 5 "Amount \(Enter for the rest" "the amount prompt"
	keys Enter
	expect 5 "PromptPay  THB $p1" "the QR screen with the amount"
	expect 5 "The customer scans the code" "a QR code, not a refusal"
	expect 5 "Reference shown in the customer's app" "the reference asked for"
}

# qr_payload: the QR as drawn (light modules are blocks, two module rows a
# text row), decoded by zbarimg.
qr_payload() {
	screen >"$T/qr.txt"
	python3 - "$T/qr.txt" "$T/qr.pbm" <<'PY' || fail "cannot read the QR off the screen"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[1:]
top = {"█": (0, 0), "▀": (0, 1), "▄": (1, 0), " ": (1, 1)}
side = len(lines[0][1:]) - len(lines[0][1:].lstrip("█"))
if side < 25:
    sys.exit("no QR on screen")
rows = []
for line in lines[: (side + 1) // 2]:
    cells = line[1 : 1 + side]
    a, b = [], []
    for ch in cells:
        t, u = top[ch]
        a.append(t)
        b.append(u)
    rows += [a, b]
rows = rows[:side]
q, s = 6, 4
width = (side + 2 * q) * s
with open(sys.argv[2], "w") as f:
    f.write("P1\n%d %d\n" % (width, width))
    for y in range(width):
        r = y // s - q
        f.write("".join(
            str(rows[r][x // s - q]) if 0 <= r < side and 0 <= x // s - q < side else "0"
            for x in range(width)) + "\n")
PY
	zbarimg --raw -q "$T/qr.pbm" 2>/dev/null || fail "zbarimg cannot read the QR on the screen"
}

pay_promptpay
payload=$(qr_payload)
case "$payload" in
000201010212*0066812345678*5303764*"54$(printf %02d ${#p1})$p1"*5802TH6304*) ;;
*) fail "unexpected PromptPay payload: $payload" ;;
esac
ok "PromptPay QR on screen decodes: $payload"

type_text "TX 20261204-0001"
keys Enter
expect 10 "CHANGE THB 0.00" "paid by PromptPay"
keys Enter
expect 20 "ONLINE +pending: 0"
orders=$(server_orders)
assert_eq "custom" "$(jq -r '.[0].payments[0].method' <<<"$orders")" "payment method"
assert_eq "PromptPay QR" "$(jq -r '.[0].payments[0].name' <<<"$orders")" "payment name"
assert_eq "TX 20261204-0001" "$(jq -r '.[0].payments[0].reference' <<<"$orders")" \
	"the reference the cashier typed"
ok "sale paid by PromptPay QR reached the back office with its reference"

# This register's own PromptPay id wins over the shop's; no reference typed
# records that the cashier confirmed it.
reg "$T/reg" config set promptpay-id 0898765432 >/dev/null || fail "config set promptpay-id"
pay_promptpay
payload=$(qr_payload)
case "$payload" in
*0066898765432*"54$(printf %02d ${#p1})$p1"*) ;;
*) fail "the register's PromptPay id is not in the payload: $payload" ;;
esac
expect 5 "to: 0898765432" "the register's id named"
keys Enter
expect 10 "CHANGE THB 0.00" "paid by PromptPay"
keys Enter
expect 20 "ONLINE +pending: 0"
orders=$(server_orders)
assert_eq 2 "$(jq length <<<"$orders")" "orders on the back office"
assert_eq "confirmed by the cashier" \
	"$(jq -r '[.[] | select(.number == "R01-000002")][0].payments[0].reference' <<<"$orders")" \
	"the reference without one typed"
ok "the register's promptpay-id wins over the shop's; an empty reference says who confirmed"
