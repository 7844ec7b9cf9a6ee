#!/usr/bin/env bash
# t520: PromptPay QR on the command line. Without a terminal and without
# --confirm, `talad sell --pay "custom:PromptPay QR"` refuses and records
# nothing; with --confirm REF the sale is recorded with REF as the payment's
# reference. On a terminal (tmux) the QR code is drawn in block characters
# and reads back (zbarimg) as the PromptPay payload of the register's id and
# the amount; the cashier types the reference and confirms, and the back
# office gets the payment "PromptPay QR" with that reference. A "no" records
# nothing. `talad config set promptpay-id` takes only a PromptPay id.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed"; exit 77; }
command -v zbarimg >/dev/null 2>&1 || { echo "zbarimg is not installed"; exit 77; }

SOCK="talad-pp-$$"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null || true; cleanup' EXIT

new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
SKU=$(tracked_sku)
PRICE=$(api_all /api/v1/products products |
	jq -r --arg s "$SKU" '[.[].variants[] | select(.sku == $s)][0].price')

# ---- no terminal ----
rc=0
reg "$H" sell "$SKU" --pay "custom:PromptPay QR" </dev/null >"$T/nt.out" 2>&1 || rc=$?
assert_eq 2 "$rc" "PromptPay without a terminal or --confirm (exit status)"
grep -q -- "--confirm REF" "$T/nt.out" || fail "the refusal does not say what to do: $(cat "$T/nt.out")"
grep -q "nothing was recorded" "$T/nt.out" || fail "the refusal does not say nothing was recorded"
assert_eq 0 "$(reg "$H" orders --json | jq 'if type == "array" then length else .orders | length end')" \
	"orders after the refusal"
rc=0
reg "$H" sell "$SKU" --pay cash --confirm X </dev/null >"$T/nc.out" 2>&1 || rc=$?
assert_eq 2 "$rc" "--confirm on a sale without PromptPay (exit status)"
ok "no terminal and no --confirm: refused, nothing recorded"

# ---- --confirm ----
reg "$H" sell "$SKU" --pay "custom:PromptPay QR" --confirm "KBANK 20261204-001" --json \
	</dev/null >"$T/c.json" || fail "sale with --confirm"
assert_eq synced "$(jq -r .status "$T/c.json")" "the confirmed sale reached the back office"
assert_eq "KBANK 20261204-001" "$(jq -r '.payments[0].reference' "$T/c.json")" "reference (register)"
ORD=$(server_orders | jq -c --arg id "$(jq -r .id "$T/c.json")" '.[] | select(.id == $id)')
assert_eq "PromptPay QR" "$(jq -r '.payments[0].name' <<<"$ORD")" "payment name (back office)"
assert_eq "KBANK 20261204-001" "$(jq -r '.payments[0].reference' <<<"$ORD")" \
	"reference (back office)"
ok "--confirm REF records the payment with REF as its reference"

# ---- the register's own PromptPay id ----
rc=0
reg "$H" config set promptpay-id 12345 >"$T/cfg.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a bad PromptPay id was stored"
grep -q "PromptPay id" "$T/cfg.out" || fail "bad id message: $(cat "$T/cfg.out")"
reg "$H" config set promptpay-id 089-999-9999 >/dev/null || fail "config set promptpay-id"

# ---- on a terminal ----
# pp_run ARGS...: talad sell in a fresh tmux window; pp_screen shows it.
pp_run() {
	tmux -L "$SOCK" kill-session -t pp 2>/dev/null || true
	tmux -L "$SOCK" new-session -d -s pp -x 120 -y 60 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
		"$TALAD --home '$H' sell $*; echo PP-EXITED \$?; sleep 600"
}
pp_screen() {
	tmux -L "$SOCK" capture-pane -p -t pp
}
pp_keys() {
	tmux -L "$SOCK" send-keys -t pp -l "$1"
	tmux -L "$SOCK" send-keys -t pp Enter
}
on_screen() {
	pp_screen | grep -Eq -- "$1"
}
pp_expect() {
	wait_until "$1" on_screen "$2" || {
		pp_screen >&2
		fail "not on screen within $1 s: $2"
	}
}

pp_run "'$SKU' --pay 'custom:PromptPay QR'"
pp_expect 10 "reference shown in the customer's app"
pp_screen >"$T/qr.txt"
grep -q "PromptPay QR  THB $PRICE  to 089-999-9999" "$T/qr.txt" ||
	fail "the amount and the register's id are not shown: $(cat "$T/qr.txt")"
/usr/bin/python3 - "$T/qr.txt" "$T/qr.pbm" <<'PY' || fail "no QR code on the screen"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
start = next(i for i, l in enumerate(lines) if len(l) >= 25 and set(l) == {"█"})
side = len(lines[start])
light = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}
rows = []
for line in lines[start : start + (side + 1) // 2]:
    line = line.ljust(side)
    rows.append([light[ch][0] for ch in line[:side]])
    rows.append([light[ch][1] for ch in line[:side]])
rows = rows[:side]
q, s = 4, 4
width = (side + 2 * q) * s
with open(sys.argv[2], "w") as f:
    f.write("P1\n%d %d\n" % (width, width))
    for y in range(width):
        r = y // s - q
        f.write("".join(
            "0" if not (0 <= r < side and 0 <= x // s - q < side) or rows[r][x // s - q] else "1"
            for x in range(width)) + "\n")
PY
payload=$(zbarimg --raw -q "$T/qr.pbm" 2>/dev/null) || fail "zbarimg cannot read the QR code"
case "$payload" in
000201010212*01130066899999999*5303764*"54$(printf %02d ${#PRICE})$PRICE"*5802TH6304*) ;;
*) fail "unexpected PromptPay payload: $payload" ;;
esac
ok "the QR code in the terminal reads as the payload of the register's id and the amount"

pp_keys "SCB 998877"
pp_expect 5 "arrived by PromptPay\? \[y/N\]"
pp_keys y
pp_expect 20 "PP-EXITED 0"
on_screen "receipt e-mail|sale R01-" || true
NUM=$(pp_screen | sed -n 's/.*sale \(R01-[0-9]*\): total.*/\1/p' | head -n 1)
[ -n "$NUM" ] || fail "no sale number on the screen: $(pp_screen)"
reg "$H" sync >/dev/null 2>&1 || fail "sync"
ORD=$(server_orders | jq -c --arg n "$NUM" '.[] | select(.number == $n)')
assert_eq "custom" "$(jq -r '.payments[0].method' <<<"$ORD")" "method"
assert_eq "PromptPay QR" "$(jq -r '.payments[0].name' <<<"$ORD")" "name"
assert_eq "SCB 998877" "$(jq -r '.payments[0].reference' <<<"$ORD")" "typed reference"
ok "confirmed on the terminal: the back office has PromptPay QR with the typed reference"

before=$(reg "$H" orders --json | jq 'if type == "array" then length else .orders | length end')
pp_run "'$SKU' --pay 'custom:PromptPay QR'"
pp_expect 10 "reference shown in the customer's app"
pp_keys ""
pp_expect 5 "arrived by PromptPay\? \[y/N\]"
pp_keys n
pp_expect 10 "PP-EXITED 1"
on_screen "was not confirmed; nothing was recorded" || fail "the refusal is not told: $(pp_screen)"
assert_eq "$before" \
	"$(reg "$H" orders --json | jq 'if type == "array" then length else .orders | length end')" \
	"orders after a no"
ok "a no records nothing"
