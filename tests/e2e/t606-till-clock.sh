#!/usr/bin/env bash
# A register whose clock is 10 minutes fast (libfaketime) shows a clock
# warning on the status bar once the back office has answered, and still
# sells: clocks never order anything, they are only reported.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"
command -v faketime >/dev/null 2>&1 || { echo "faketime is not installed (scripts/install-deps)"; exit 77; }

new_shop
reg_login "$T/reg" "Counter 1" >/dev/null || fail "login"
b1=$(api_all /api/v1/products products | jq -r '[.[].variants[] | select(.barcode != null)][0].barcode')
TILL_WRAP="faketime -m -f +10m" till_start "$T/reg"
expect 10 "The till is locked"
keys 1111 Enter
expect 15 "CLOCK OFF by 10 min" "the clock warning on the status bar"
keys "$b1" Enter F5 c Enter
expect 10 "CHANGE THB 0.00" "a sale with the clock off"
keys Enter
expect 15 "pending: 0" "synced all the same"
assert_eq 1 "$(server_orders | jq length)" "orders on the back office"
ok "clock 10 minutes off: warned, and the sale synced"
