# Helpers for the e-mail tests (t5NN-*.sh): a real SMTP server on loopback
# (Debian's aiosmtpd with the handler in smtp_sink.py, writing each message
# to a directory) and the back office served with --smtp. Source after
# lib.sh. Skips (77) when /usr/bin/python3 has no aiosmtpd.

MAIL_PY=/usr/bin/python3
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$MAIL_PY" -c 'import aiosmtpd' 2>/dev/null ||
	{ echo "python3-aiosmtpd is not installed (scripts/install-deps)"; exit 77; }

MAIL_FROM=receipts@demo-shop.example

# smtp_start PORT DIR: the SMTP server on 127.0.0.1:PORT, messages to DIR;
# SMTP_PID is set and the server is stopped when the test exits.
smtp_start() {
	local port=$1 dir=$2
	mkdir -p "$dir"
	PYTHONPATH="$E2E_DIR" "$MAIL_PY" -m aiosmtpd -n -l "127.0.0.1:$port" \
		-c smtp_sink.Sink "$dir" >>"$T/smtp-$port.log" 2>&1 &
	SMTP_PID=$!
	PIDS+=("$SMTP_PID")
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		kill -0 "$SMTP_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/smtp-$port.log" >&2
	fail "the SMTP server on port $port did not start"
}

smtp_stop() {
	stop_server "$SMTP_PID"
}

# serve_mail SMTP_PORT: the back office of new_shop served again with
# mail-out through the SMTP server on SMTP_PORT.
serve_mail() {
	start_server "$T/server" "$PORT" --smtp "smtp://127.0.0.1:$1" --mail-from "$MAIL_FROM"
}

# mails DIR: every message received, as a JSON array (mail_read.py).
mails() {
	"$MAIL_PY" "$E2E_DIR/mail_read.py" "$1"
}

mail_count() {
	local n
	n=$(find "$1" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l)
	echo "$n"
}

# mails_to DIR ADDRESS: how many messages went to ADDRESS.
mails_to() {
	mails "$1" | jq --arg a "$2" '[.[] | select(.envelope_to == [$a])] | length'
}

# mail_queue: the back office's mail queue (GET /api/v1/mail), newest first.
mail_queue() {
	api GET "$URL/api/v1/mail?limit=500" "$OWNER"
}

# mail_status ADDRESS: the status of the queued mail to ADDRESS.
mail_status() {
	mail_queue | jq -r --arg a "$1" '[.mail[] | select(.email == $a)][0].status'
}

# For wait_until, which runs a command again and again (a $(...) in its
# arguments would be evaluated once):
# mails_at_least DIR N, mails_to_is DIR ADDRESS N, mail_status_is ADDRESS STATUS.
mails_at_least() {
	[ "$(mail_count "$1")" -ge "$2" ]
}
mails_to_is() {
	[ "$(mails_to "$1" "$2")" = "$3" ]
}
mail_status_is() {
	[ "$(mail_status "$1")" = "$2" ]
}
