#!/usr/bin/env bash
# A register that is not logged in opens on the login screen: offline it
# says a first login needs the internet; online it logs in, downloads the
# catalog and goes on to the staff lock and the sell screen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"

new_shop
stop_server "$SERVER_PID"
till_start "$T/reg"
expect 10 "LOGIN" "the login screen"
expect 5 "a first login needs the internet" "told before trying"
type_text "$URL"
keys Enter
type_text cashier@demo.example
keys Enter
type_text demo1234
keys Enter Enter
expect 15 "cannot reach" "offline login refused"
expect 5 "a first login needs the internet" "and why"
ok "offline: a first login needs the internet"

serve_again
keys Enter Enter
type_text demo1234
keys Enter Enter
expect 30 "The till is locked" "logged in, on to the staff lock"
keys 1111 Enter
expect 10 "ONLINE +pending: 0"
b1=$(api_all /api/v1/products products | jq -r '[.[].variants[] | select(.barcode != null)][0].barcode')
keys "$b1" Enter
expect 5 "Items 1 " "the downloaded catalog sells"
reg "$T/reg" status --json | jq -e '.logged_in == true' >/dev/null || fail "status not logged in"
ok "online: logged in from the till"
