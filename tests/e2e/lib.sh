# Shared helpers for the end-to-end tests: each test sources this file, gets a
# private temporary directory, starts real talad-server and talad processes on
# 127.0.0.1, and everything it started is stopped when it exits.
set -euo pipefail

: "${TALAD_BUILD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}"
TALAD="$TALAD_BUILD/talad"
TALAD_SERVER="$TALAD_BUILD/talad-server"
[ -x "$TALAD" ] && [ -x "$TALAD_SERVER" ] || { echo "build first: missing $TALAD or $TALAD_SERVER"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/talad-e2e.XXXXXX")
PIDS=()
# Every process this test started, however deep (a backgrounded shell
# function runs in a subshell whose child is the real process).
descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

cleanup() {
	local p
	PIDS+=($(descendants $$))
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill -CONT "$p" 2>/dev/null || true
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
assert_eq() { # expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# A TCP port on 127.0.0.1 that nothing listens on right now, below the
# kernel's ephemeral range: a port in that range may be the local end of some
# client connection at the moment the server binds it (EADDRINUSE).
free_port() {
	local p lo=32768
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	[ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 1 200); do
		p=$(( (RANDOM % (lo - 11000)) + 10000 ))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port"
}

# start_server DATA_DIR PORT [extra serve args...]: serves in the background,
# waits until /api/v1/health answers; SERVER_PID is set.
start_server() {
	local data=$1 port=$2
	shift 2
	"$TALAD_SERVER" serve --data "$data" --listen "127.0.0.1:$port" "$@" \
		>>"$T/server-$port.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_http "http://127.0.0.1:$port/api/v1/health" || {
		cat "$T/server-$port.log" >&2
		fail "server on port $port did not start"
	}
}

stop_server() { # PID
	kill "$1" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

wait_http() { # URL [tries of 0.1 s]
	local n=${2:-100}
	for _ in $(seq 1 "$n"); do
		curl -fsS -m 1 "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# wait_for TRIES_OF_0.2S COMMAND...: retries until the command succeeds.
wait_for() {
	local n=$1
	shift
	for _ in $(seq 1 "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# api METHOD URL TOKEN [BODY]: prints the body, sets HTTP_STATUS.
api() {
	local method=$1 url=$2 token=$3 body=${4:-}
	local args=(-sS -m 30 -X "$method" -o "$T/api.body" -w '%{http_code}' -H 'Content-Type: application/json')
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	[ -n "$body" ] && args+=(--data-binary "$body")
	HTTP_STATUS=$(curl "${args[@]}" "$url" || echo 000)
	cat "$T/api.body"
}

# staff_token BASE_URL EMAIL PASSWORD
staff_token() {
	curl -fsS -m 10 -H 'Content-Type: application/json' \
		--data-binary "{\"email\":\"$2\",\"password\":\"$3\"}" "$1/api/v1/auth/login" | jq -r .token
}

# ---- the back office and its registers, for the sync tests ----

# wait_until SECONDS COMMAND...: polls the command every 0.1 s until it
# succeeds (0) or the deadline passes (1).
wait_until() {
	local secs=$1
	shift
	local end=$((SECONDS + secs))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# new_shop: the demo back office in $T/server, served on a free port. Sets
# PORT, URL, OWNER (the owner's staff token) and LOC (its first location).
new_shop() {
	"$TALAD_SERVER" demo --data "$T/server" >"$T/demo.out" 2>&1 ||
		{ cat "$T/demo.out" >&2; fail "talad-server demo failed"; }
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
	start_server "$T/server" "$PORT"
	OWNER=$(staff_token "$URL" owner@demo.example demo1234)
	[ -n "$OWNER" ] && [ "$OWNER" != null ] || fail "the demo owner cannot log in"
	LOC=$(api GET "$URL/api/v1/locations" "$OWNER" | jq -r '.locations[0].id')
	[ -n "$LOC" ] && [ "$LOC" != null ] || fail "the demo shop has no location"
}

# serve_again: the back office of new_shop, served again on the same port
# after it was stopped or killed.
serve_again() {
	start_server "$T/server" "$PORT"
}

# reg HOME ARGS...: the register whose home is HOME.
reg() {
	local home=$1
	shift
	"$TALAD" --home "$home" "$@"
}

# reg_login HOME NAME: logs a register in as the demo cashier.
reg_login() {
	TALAD_PASSWORD=demo1234 "$TALAD" --home "$1" login "$URL" \
		--email cashier@demo.example --register "$2"
}

# api_all PATH KEY: every item of a paged list (?limit=&cursor=, next_cursor)
# as one JSON array, read as the owner.
api_all() {
	local path=$1 key=$2 cursor="" sep page
	local out="$T/api_all.json"
	: >"$out"
	case "$path" in *\?*) sep='&' ;; *) sep='?' ;; esac
	while :; do
		local url="$URL$path${sep}limit=500"
		[ -n "$cursor" ] && url="$url&cursor=$(jq -rn --arg c "$cursor" '$c|@uri')"
		api GET "$url" "$OWNER" >"$T/api_all.page"
		[ "$HTTP_STATUS" = 200 ] || fail "GET $path: HTTP $HTTP_STATUS: $(cat "$T/api_all.page")"
		jq -c ".$key[]" "$T/api_all.page" >>"$out"
		cursor=$(jq -r '.next_cursor // empty' "$T/api_all.page")
		[ -n "$cursor" ] || break
	done
	jq -s . "$out"
}

# server_orders: every order on the back office, as one JSON array.
server_orders() {
	api_all /api/v1/orders orders
}

# level SKU: the back office's level of SKU at LOC, and level_oversold SKU
# whether it is reported oversold.
level() {
	api_all "/api/v1/inventory?location=$LOC" levels |
		jq -r --arg s "$1" '[.[] | select(.sku == $s)][0].available'
}
level_oversold() {
	api_all "/api/v1/inventory?location=$LOC" levels |
		jq -r --arg s "$1" '[.[] | select(.sku == $s)][0].oversold'
}

# set_level SKU N: a stock count at LOC.
set_level() {
	local body
	body=$(jq -cn --arg l "$LOC" --arg s "$1" --argjson n "$2" \
		'{location_id: $l, sku: $s, available: $n}')
	api POST "$URL/api/v1/inventory/set" "$OWNER" "$body" >/dev/null
	[ "$HTTP_STATUS" = 200 ] || [ "$HTTP_STATUS" = 201 ] ||
		fail "inventory/set $1 $2: HTTP $HTTP_STATUS: $(cat "$T/api.body")"
}

# tracked_sku: the SKU of a tracked variant of the demo catalog that has a
# price, for tests that follow stock.
tracked_sku() {
	api_all /api/v1/products products |
		jq -r '[.[].variants[] | select(.sku != null and .sku != "")][0].sku'
}

# reg_pending HOME: the register's count of unsynced outbox rows.
reg_pending() {
	"$TALAD" --home "$1" status --json | jq -r .pending
}

# orders_once ORDERS_JSON: fails unless no order id and no order number
# appears twice.
orders_once() {
	local dup
	dup=$(jq -r '[group_by(.id)[] | select(length > 1) | .[0].id] +
		[group_by(.number)[] | select(length > 1) | .[0].number] | join(" ")' <<<"$1")
	[ -z "$dup" ] || fail "orders on the server more than once: $dup"
}

# sell_many HOME N ITEM: N one-item cash sales, four sellers at a time (the
# store serialises them, numbering stays gap-free).
sell_many() {
	seq 1 "$2" | xargs -P 4 -n 25 sh -c \
		't=$0 h=$1 i=$2; shift 2; for _ do "$t" --home "$h" sell "$i" --pay cash >/dev/null || exit 255; done' \
		"$TALAD" "$1" "$3" 2>"$T/sell_many.err" || fail "sales: $(head -5 "$T/sell_many.err")"
}

# push_count: the pushes the back office of new_shop has answered so far (it
# logs each request when started with TALAD_LOG=info in the environment).
push_count() {
	grep -c 'POST /api/v1/sync/push' "$T/server-$PORT.log" || true
}

# after_push BEFORE: returns as soon as more than BEFORE pushes were answered
# (a tight loop: the register's next batch is then being sent or recorded);
# fails after 20 s.
after_push() {
	local end=$((SECONDS + 20))
	while [ "$(push_count)" -le "$1" ]; do
		[ $SECONDS -lt $end ] || fail "no push reached the back office"
	done
}
