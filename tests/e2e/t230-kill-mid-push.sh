#!/usr/bin/env bash
# t230: 1,000 orders made offline; `talad sync` killed with kill -9 while it
# pushes them, more than once; a last `talad sync` after the restart leaves
# each order exactly once on the back office and the stock moved by exactly
# 1,000 units.
. "$(dirname "$0")/lib.sh"

N=1000
new_shop
H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
SKU=$(tracked_sku)
set_level "$SKU" 5000
reg "$H" sync >/dev/null || fail "sync"

stop_server "$SERVER_PID"
# Four sellers at once: the store serialises them and numbering stays gap-free.
sell_many "$H" $N "$SKU"
assert_eq $N "$(reg_pending "$H")" "pending offline"
ok "$N orders made offline"

serve_again
# Kill the push at growing moments; the back office may have applied a batch
# whose answer the register never recorded: the next push re-sends it.
cut=0
for d in 0.05 0.1 0.2 0.3 0.5 0.8 1.2; do
	reg "$H" sync >"$T/sync.out" 2>&1 &
	sp=$!
	sleep "$d"
	kill -9 "$sp" 2>/dev/null || true
	wait "$sp" 2>/dev/null || true
	p=$(reg_pending "$H")
	s=$(server_orders | jq length)
	echo "killed after ${d}s: register pending $p, orders on the back office $s"
	if [ "$p" -gt 0 ] && [ "$s" -gt 0 ]; then cut=1; fi
	[ "$p" = 0 ] && break
done
[ $cut = 1 ] && ok "a kill -9 hit a push with work on both sides" ||
	echo "note: no kill landed between a batch applied and the last one acknowledged this time"

reg "$H" sync >"$T/sync.out" 2>&1 || { cat "$T/sync.out"; fail "the last sync"; }
assert_eq 0 "$(reg_pending "$H")" "pending after the last sync"
ORDERS=$(server_orders)
orders_once "$ORDERS"
assert_eq $N "$(jq length <<<"$ORDERS")" "orders on the back office"
assert_eq $N "$(jq '[.[].number] | unique | length' <<<"$ORDERS")" "distinct receipt numbers"
CODE=$(jq -r '.[0].register' <<<"$ORDERS")
assert_eq "$(seq -f "$CODE-%06g" 1 $N | jq -Rsc 'split("\n")[:-1]')" \
	"$(jq -c '[.[].number] | sort' <<<"$ORDERS")" "receipt numbers 1..$N"
assert_eq $((5000 - N)) "$(level "$SKU")" "level after $N units sold"
assert_eq 0 "$(api_all /api/v1/registers registers | jq '.[0].pending')" "pending as the back office sees it"
ok "each of the $N orders once, stock moved by $N"
