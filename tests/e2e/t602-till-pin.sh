#!/usr/bin/env bash
# The staff lock: wrong PINs count down, the third locks the till out (even
# the right PIN is refused then), and restarting the till does not reset the
# lock-out. Staff switch by PIN without logging the register out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"

new_shop
reg_login "$T/reg" "Counter 1" >/dev/null || fail "login"
till_start "$T/reg"
expect 10 "The till is locked"

# Switching staff: the owner, then lock (F9), then the cashier.
keys 9999 Enter
expect 5 "is on duty"
owner=$(screen | head -n 1)
keys F9
expect 5 "The till is locked" "F9 locks"
keys 1111 Enter
expect 5 "is on duty"
[ "$(screen | head -n 1)" != "$owner" ] || fail "the header still shows the owner"
reg "$T/reg" status --json | jq -e '.logged_in == true' >/dev/null || fail "logged out by a staff switch"
ok "staff switch by PIN, register still logged in"

keys l
expect 5 "The till is locked" "l locks too"
keys 12 Enter
expect 5 "a PIN is 4 to 12 digits" "a short PIN is not a PIN"
keys 0000 Enter
expect 5 "wrong PIN: 2 tries left"
keys 0001 Enter
expect 5 "wrong PIN: 1 try left"
keys 0002 Enter
expect 5 "LOCKED OUT" "locked out after three wrong PINs"
keys 1111 Enter
expect 5 "LOCKED OUT: too many wrong PINs" "the right PIN is refused while locked out"
expect_not "is on duty"
ok "three wrong PINs lock the till out"

till_kill
till_start "$T/reg"
expect 10 "LOCKED OUT after wrong PINs: try again in [0-9]+ s" "still locked out after a restart"
keys 1111 Enter
expect 5 "LOCKED OUT: too many wrong PINs"
expect_not "is on duty"
ok "the lock-out survives a restart"
