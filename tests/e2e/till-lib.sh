# Helpers for the till tests (t600-till-*.sh): the real `talad` on a private
# tmux server (100x30, UTF-8), keys sent with send-keys and the screen read
# with capture-pane, polled against a deadline rather than slept on. Source
# after lib.sh; the tmux server is killed when the test exits.

command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed (scripts/install-deps)"; exit 77; }

TMUX_SOCK="talad-till-$$"
TILL_PID=
trap 'tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true; cleanup' EXIT

# till_start HOME: opens the till of the register at HOME in a fresh window
# (prefixed with $TILL_WRAP when set, e.g. a faketime command). When talad
# ends, the pane prints TILL-EXITED and its status at the start of a line:
# a till killed with -9 leaves the terminal raw (no CR on newline) and the
# cursor anywhere, and a marker that wrapped at the right edge (the shell's
# "Killed" line before it varies in length with the checkout's path) would
# not be found.
till_start() {
	tmux -L "$TMUX_SOCK" kill-session -t till 2>/dev/null || true
	tmux -L "$TMUX_SOCK" new-session -d -s till -x 100 -y 30 \
		-e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e TERM=xterm-256color \
		"${TILL_WRAP:-} $TALAD --home '$1'; rc=\$?; stty sane; echo; echo TILL-EXITED \$rc; sleep 600"
	TILL_PID=$(tmux -L "$TMUX_SOCK" display -p -t till '#{pane_pid}')
	# The pane runs a shell that waits for talad: the till is its child
	# (or grandchild, under a wrapper).
	local child p
	for _ in $(seq 1 50); do
		child=$(pgrep -P "$TILL_PID" -x talad || true)
		for p in $(pgrep -P "$TILL_PID" || true); do
			[ -n "$child" ] || child=$(pgrep -P "$p" -x talad || true)
		done
		[ -n "$child" ] && break
		sleep 0.1
	done
	[ -n "$child" ] || fail "the till did not start"
	TILL_PID=$child
}

till_exited() {
	screen | grep -q TILL-EXITED
}

# till_kill: kill -9 of the till process (the pane stays).
till_kill() {
	kill -9 "$TILL_PID" 2>/dev/null || true
	wait_until 5 till_exited || fail "the till did not die"
}

screen() {
	tmux -L "$TMUX_SOCK" capture-pane -p -t till
}

# keys KEY...: tmux send-keys names (Enter, F5, Escape) or literal text.
keys() {
	tmux -L "$TMUX_SOCK" send-keys -t till "$@"
}

# type_text TEXT: literal text, even when it looks like a key name.
type_text() {
	tmux -L "$TMUX_SOCK" send-keys -t till -l "$1"
}

# expect SECONDS REGEX [what]: waits until the screen matches (grep -E).
expect() {
	local secs=$1 re=$2 what=${3:-$2}
	local end=$((SECONDS + secs))
	while :; do
		screen | grep -Eq -- "$re" && return 0
		if [ "$SECONDS" -ge "$end" ]; then
			echo "---- screen ----" >&2
			screen >&2
			echo "----------------" >&2
			fail "not on screen within ${secs}s: $what"
		fi
		sleep 0.2
	done
}

# expect_not REGEX [what]: the screen does not match now.
expect_not() {
	if screen | grep -Eq -- "$1"; then
		screen >&2
		fail "on screen but should not be: ${2:-$1}"
	fi
}

# The pending count on the status bar (the last row).
pending_shown() {
	screen | tail -n 1 | sed -n 's/.*pending: \([0-9]*\).*/\1/p'
}

# barcode N: the barcode of the Nth variant with one in the demo catalog.
barcode() {
	api_all /api/v1/products products |
		jq -r --argjson n "$1" '[.[].variants[] | select(.barcode != null and .barcode != "")][$n].barcode'
}
