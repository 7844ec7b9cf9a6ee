#!/usr/bin/env bash
# The till through an outage, no key pressed to notice it: the back office
# stopped -> OFFLINE within 10 s and card shown unavailable with the reason;
# a cash sale offline -> pending: 1; the back office started again ->
# ONLINE and pending: 0 within 30 s, the order there exactly once; a hung
# back office is shown OFFLINE within 10 s as well.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/till-lib.sh"

new_shop
reg_login "$T/reg" "Counter 1" >/dev/null || fail "login"
b1=$(api_all /api/v1/products products | jq -r '[.[].variants[] | select(.barcode != null)][0].barcode')
till_start "$T/reg"
expect 10 "The till is locked"
keys 1111 Enter
expect 10 "ONLINE +pending: 0" "online"

stop_server "$SERVER_PID"
expect 10 "OFFLINE" "OFFLINE within 10 s of the back office stopping"
ok "offline noticed"

keys "$b1" Enter
expect 5 "Items 1 "
keys F5
expect 5 "Card +UNAVAILABLE offline" "card shown unavailable"
expect 5 "Gift card +UNAVAILABLE offline" "gift card shown unavailable"
keys k
expect 5 "unavailable offline: card payments need the back office; cash and" "card refused with why"
expect 5 "PromptPay QR still" "naming the custom methods that still work"
keys g
expect 5 "unavailable offline: gift card payments need the back office" "gift card refused too"
keys c
expect 5 "Cash received"
keys Enter
expect 10 "CHANGE THB 0.00" "paid exactly in cash offline"
keys Enter
expect 10 "OFFLINE +pending: 1" "pending: 1 while offline"
ok "cash sale offline, pending 1"

serve_again
expect 30 "ONLINE +pending: 0" "back online and synced without a key"
orders=$(server_orders)
assert_eq 1 "$(jq length <<<"$orders")" "orders on the back office"
orders_once "$orders"
ok "back online, pending 0, the order arrived once"

# A back office that hangs (paused, not closed) is noticed too, although the
# worker's long poll is silent by design.
kill -STOP "$SERVER_PID"
expect 10 "OFFLINE" "OFFLINE within 10 s of the back office hanging"
kill -CONT "$SERVER_PID"
expect 15 "ONLINE +pending: 0" "online again once it answers"
ok "a hung back office shows OFFLINE, and ONLINE when it answers again"
