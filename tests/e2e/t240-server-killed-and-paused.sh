#!/usr/bin/env bash
# t240: the back office killed with kill -9 while a push is in flight, then
# paused with kill -STOP: `talad sell`, `talad status` and `talad sync` still
# finish (bounded by generous timeouts; sync reports 75), and after a
# restart and kill -CONT everything arrives exactly once.
# Takes about 30 s: most of it is the register's 10 s stall limit (16 s in
# practice with libcurl's moving average) against the paused back office.
. "$(dirname "$0")/lib.sh"

new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
SKU=$(tracked_sku)
set_level "$SKU" 1000
reg "$H" sync >/dev/null || fail "sync"
SOLD=0 # units
MADE=0 # orders
export TALAD_LOG=info # the back office logs each answered request: see after_push

# bounded NAME SECONDS WANT_STATUS... ARGS: runs talad within a timeout and
# checks its exit status is one of the wanted ones (124 is the timeout).
bounded() {
	local name=$1 secs=$2 want=$3 rc=0 start=$SECONDS
	shift 3
	timeout "$secs" "$TALAD" --home "$H" "$@" >"$T/$name.out" 2>&1 || rc=$?
	[ $rc != 124 ] || fail "$name did not finish within $secs s"
	case " $want " in *" $rc "*) ;; *) fail "$name: exit status $rc, wanted one of $want: $(cat "$T/$name.out")" ;; esac
	echo "$name: exit $rc after about $((SECONDS - start)) s"
}

# 1. kill -9 while a push is in flight.
stop_server "$SERVER_PID"
sell_many "$H" 1000 "$SKU"
SOLD=$((SOLD + 1000))
MADE=$((MADE + 1000))
serve_again
before=$(push_count)
timeout 45 "$TALAD" --home "$H" sync >"$T/sync1.out" 2>&1 &
sp=$!
after_push "$before"
kill -9 "$SERVER_PID"
rc=0
wait "$sp" || rc=$?
[ $rc != 124 ] || fail "sync hung on a killed back office"
[ $rc = 75 ] || [ $rc = 0 ] || fail "sync against a killed back office: exit $rc: $(cat "$T/sync1.out")"
echo "sync cut by kill -9 of the back office: exit $rc, register pending $(reg_pending "$H")"
bounded sell-killed 20 0 sell "$SKU" --pay cash
SOLD=$((SOLD + 1))
MADE=$((MADE + 1))
bounded status-killed 20 0 status --json
bounded sync-killed 45 75 sync
ok "sell, status and sync finish with the back office killed"

# 2. kill -STOP: connections are accepted by the kernel and never answered.
# What the register gives up on may still be applied once the back office
# resumes: the next push must find those as duplicates.
serve_again
echo "back office restarted with $(server_orders | jq length) orders"
kill -STOP "$SERVER_PID"
bounded sell-paused 20 0 sell "$SKU" --pay cash
bounded sell-paused-2 20 0 sell "$SKU*2" --pay cash
SOLD=$((SOLD + 3))
MADE=$((MADE + 2))
bounded status-paused 30 0 status --json
assert_eq false "$(jq -r .online "$T/status-paused.out")" "online, as status sees a paused back office"
bounded sync-paused 45 75 sync
ok "sell, status and sync finish with the back office paused"

kill -CONT "$SERVER_PID"
bounded sync-resumed 45 0 sync
assert_eq 0 "$(reg_pending "$H")" "pending after the back office resumed"
ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq $MADE "$(jq length <<<"$ORDERS")" "orders on the back office"
assert_eq $((1000 - SOLD)) "$(level "$SKU")" "level after $SOLD units sold"
ok "each of the $MADE orders arrived once, $SOLD units off the stock"
