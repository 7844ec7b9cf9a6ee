#!/usr/bin/env bash
# t260: logout refuses while work is unsynced (exit 1); logout --force logs
# out and keeps it; login needs the back office (75 while it is down); the
# next login to the same shop pushes the kept work under the same register
# code, and the receipt numbering carries on.
. "$(dirname "$0")/lib.sh"

new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
CODE=$(reg "$H" status --json | jq -r .register)
SKU=$(tracked_sku)
set_level "$SKU" 10
reg "$H" sync >/dev/null || fail "sync"

reg "$H" sell "$SKU" --pay cash --json >"$T/s1.json" || fail "first sale"
reg "$H" sync >/dev/null || fail "sync of the first sale"
stop_server "$SERVER_PID"
reg "$H" sell "$SKU" --pay cash --json >"$T/s2.json" || fail "offline sale"
reg "$H" sell "$SKU*2" --pay cash --json >"$T/s3.json" || fail "offline sale"
assert_eq 2 "$(reg_pending "$H")" "pending offline"

rc=0
reg "$H" logout >"$T/logout.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "logout with pending work (exit status)"
grep -qi "force" "$T/logout.out" || fail "the refusal does not say how to log out anyway: $(cat "$T/logout.out")"
assert_eq true "$(reg "$H" status --json | jq -r .logged_in)" "logged in after a refused logout"
ok "logout refused with pending work"

reg "$H" logout --force >"$T/force.out" 2>&1 || { cat "$T/force.out"; fail "logout --force"; }
reg "$H" status --json >"$T/st.json"
assert_eq false "$(jq -r .logged_in "$T/st.json")" "logged in after logout --force"
assert_eq 2 "$(jq -r .pending "$T/st.json")" "pending kept by logout --force"
rc=0
reg "$H" sell "$SKU" --pay cash >"$T/sell-out.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a logged-out register sold"
ok "logout --force kept the pending work"

rc=0
TALAD_PASSWORD=demo1234 timeout 60 "$TALAD" --home "$H" login "$URL" --email cashier@demo.example \
	--register "Counter 1" >"$T/login-down.out" 2>&1 || rc=$?
assert_eq 75 "$rc" "login while the back office is down (exit status)"
ok "login while the back office is down exits 75"

# Another shop's back office must not take the kept work, nor wipe it.
"$TALAD_SERVER" demo --data "$T/other" >/dev/null 2>&1 || fail "second demo shop"
OTHER_PORT=$(free_port)
start_server "$T/other" "$OTHER_PORT"
rc=0
TALAD_PASSWORD=demo1234 "$TALAD" --home "$H" login "http://127.0.0.1:$OTHER_PORT" \
	--email cashier@demo.example --register "Counter 1" >"$T/login-other.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "login to another shop with kept work (exit status)"
assert_eq 2 "$(reg_pending "$H")" "pending after a refused login to another shop"
ok "another shop's login refused, the kept work stays"

serve_again
reg_login "$H" "Counter 1" >"$T/login2.out" 2>&1 || { cat "$T/login2.out"; fail "login again"; }
# The login itself pushes what was kept: no sync is run here.
assert_eq 0 "$(reg_pending "$H")" "pending after the new login"

ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq 3 "$(jq length <<<"$ORDERS")" "orders on the back office"
for f in s1 s2 s3; do
	id=$(jq -r .id "$T/$f.json")
	n=$(jq -r .number "$T/$f.json")
	assert_eq "$n" "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .number' <<<"$ORDERS")" "order $f on the back office"
	assert_eq "$CODE" "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .register' <<<"$ORDERS")" "register of order $f"
done
REGS=$(api_all /api/v1/registers registers)
assert_eq 1 "$(jq length <<<"$REGS")" "registers on the back office (no second enrolment)"
assert_eq "$CODE" "$(jq -r '.[0].code' <<<"$REGS")" "register code"
assert_eq 6 "$(level "$SKU")" "level after 4 units sold"
ok "the kept work arrived under $CODE"

reg "$H" sell "$SKU" --pay cash --json >"$T/s4.json" || fail "sale after the new login"
prev=$(jq -r .number "$T/s3.json")
next=$(jq -r .number "$T/s4.json")
assert_eq "$CODE-$(printf '%06d' $((10#${prev##*-} + 1)))" "$next" "receipt number after the new login"
ok "numbering continues: $prev then $next"
