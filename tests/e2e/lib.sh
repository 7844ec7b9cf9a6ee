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
cleanup() {
	local p
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

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$(( (RANDOM % 20000) + 20000 ))
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
