#!/usr/bin/env bash
# t240: the back office killed with kill -9 while a push is in flight, then
# paused with kill -STOP: `talad sell`, `talad status` and `talad sync` still
# finish (bounded by generous timeouts; sync reports 75), and after a
# restart and kill -CONT everything arrives exactly once.
. "$(dirname "$0")/lib.sh"

new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
SKU=$(tracked_sku)
set_level "$SKU" 1000
reg "$H" sync >/dev/null || fail "sync"
SOLD=0
export TALAD_LOG=info # the back office logs each answered request: see hit_after_push

# hit_after_push BEFORE SIGNAL: sends SIGNAL to the back office as soon as its
# log shows more than BEFORE pushes answered: the register's next batch is
# then on its way or being applied.
pushes() { grep -c 'POST /api/v1/sync/push' "$T/server-$PORT.log" || true; }
hit_after_push() {
	local end=$((SECONDS + 20))
	while [ "$(pushes)" -le "$1" ]; do
		[ $SECONDS -lt $end ] || fail "no push reached the back office"
	done
	kill "-$2" "$SERVER_PID"
}

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
serve_again
before=$(pushes)
timeout 45 "$TALAD" --home "$H" sync >"$T/sync1.out" 2>&1 &
sp=$!
hit_after_push "$before" KILL
rc=0
wait "$sp" || rc=$?
[ $rc != 124 ] || fail "sync hung on a killed back office"
[ $rc = 75 ] || [ $rc = 0 ] || fail "sync against a killed back office: exit $rc: $(cat "$T/sync1.out")"
echo "sync cut by kill -9 of the back office: exit $rc, register pending $(reg_pending "$H")"
bounded sell-killed 20 0 sell "$SKU" --pay cash
SOLD=$((SOLD + 1))
bounded status-killed 20 0 status --json
bounded sync-killed 45 75 sync
ok "sell, status and sync finish with the back office killed"

# 2. kill -STOP: connections are accepted by the kernel and never answered.
serve_again
echo "back office restarted with $(server_orders | jq length) orders"
stop_server "$SERVER_PID"
sell_many "$H" 600 "$SKU" # two batches: the pause catches the second
SOLD=$((SOLD + 600))
serve_again
before=$(pushes)
timeout 45 "$TALAD" --home "$H" sync >"$T/sync2.out" 2>&1 &
sp=$!
hit_after_push "$before" STOP
bounded sell-paused 20 0 sell "$SKU" --pay cash
SOLD=$((SOLD + 1))
bounded status-paused 30 0 status --json
rc=0
wait "$sp" || rc=$?
[ $rc != 124 ] || fail "sync hung on a paused back office"
[ $rc = 75 ] || [ $rc = 0 ] || fail "sync against a paused back office: exit $rc: $(cat "$T/sync2.out")"
echo "sync cut by kill -STOP of the back office: exit $rc"
bounded sync-paused 45 75 sync
ok "sell, status and sync finish with the back office paused"

kill -CONT "$SERVER_PID"
bounded sync-resumed 45 0 sync
assert_eq 0 "$(reg_pending "$H")" "pending after the back office resumed"
ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq $SOLD "$(jq length <<<"$ORDERS")" "orders on the back office"
assert_eq $((1000 - SOLD)) "$(level "$SKU")" "level after $SOLD units sold"
ok "each of the $SOLD orders arrived once"
