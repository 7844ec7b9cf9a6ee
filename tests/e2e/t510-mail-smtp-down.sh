#!/usr/bin/env bash
# t510: the SMTP server is down when a receipt is to be mailed. The back
# office keeps the mail queued and retries with a growing delay (2.5-5 s,
# then 5-10 s, ...), says why in GET /api/v1/mail, and delivers it once as
# soon as the SMTP server is back -- once, also after the back office is
# stopped and started again. A mailbox that answers 451 (try later) stays
# queued with the reason, never failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail-lib.sh"

SPORT=$(free_port)
MAILDIR="$T/mail"

new_shop
stop_server "$SERVER_PID"
serve_mail "$SPORT" # nothing listens there yet

H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
SKU=$(tracked_sku)
reg "$H" sell "$SKU" --pay cash --email late@example.com >"$T/s1.out" 2>&1 ||
	{ cat "$T/s1.out"; fail "sale with --email"; }
grep -q "receipt e-mail sent to the back office for delivery" "$T/s1.out" ||
	fail "the register did not hand the e-mail over: $(cat "$T/s1.out")"
reg "$H" sell "$SKU" --pay cash --email tempfail@example.com >/dev/null 2>&1 ||
	fail "sale with --email to a mailbox that answers 451"

attempts() {
	mail_queue | jq -r --arg a "$1" '[.mail[] | select(.email == $a)][0].attempts'
}
retried() {
	[ "$(attempts late@example.com)" -ge 2 ]
}
wait_until 12 retried || fail "the mail was not retried: $(mail_queue)"
Q=$(mail_queue | jq -c '[.mail[] | select(.email == "late@example.com")][0]')
assert_eq queued "$(jq -r .status <<<"$Q")" "status while the SMTP server is down"
jq -r .error <<<"$Q" | grep -qi "connect" || fail "the reason is not given: $Q"
[ "$(jq -r .next_attempt_at <<<"$Q")" != null ] || fail "no next attempt: $Q"
# The delays grow: the log shows each next try, the second longer than
# the first's shortest (2.5 s) and within the schedule's 10 s.
delays=$(sed -n 's/.*late@example.com not sent (attempt \([0-9]*\)).*next try in \([0-9]*\) s.*/\1 \2/p' \
	"$T/server-$PORT.log")
d1=$(awk '$1 == 1 {print $2}' <<<"$delays")
d2=$(awk '$1 == 2 {print $2}' <<<"$delays")
[ -n "$d1" ] && [ -n "$d2" ] || fail "no retry delays in the log: $delays"
[ "$d1" -ge 3 ] && [ "$d1" -le 5 ] || fail "first retry delay $d1 s, expected 2.5-5 s"
[ "$d2" -ge 5 ] && [ "$d2" -le 10 ] || fail "second retry delay $d2 s, expected 5-10 s"
assert_eq 0 "$(mail_count "$MAILDIR")" "mails while the SMTP server is down"
ok "retried with backoff (${d1} s, then ${d2} s) while the SMTP server is down"

smtp_start "$SPORT" "$MAILDIR"
wait_until 20 mails_to_is "$MAILDIR" late@example.com 1 ||
	fail "the mail did not arrive once the SMTP server was back: $(mail_queue)"
wait_until 5 mail_status_is late@example.com sent || fail "not marked sent: $(mail_queue)"
stop_server "$SERVER_PID"
serve_mail "$SPORT"
reg "$H" sync >/dev/null 2>&1 || fail "sync after the restart"
sleep 3
assert_eq 1 "$(mails_to "$MAILDIR" late@example.com)" "mails to late@example.com"
ok "delivered once when the SMTP server came back, and still once after a restart"

# Its retries run on their own schedule: wait for one after the SMTP
# server came back.
answered_451() {
	mail_queue | jq -r '.mail[] | select(.email == "tempfail@example.com") | .error' |
		grep -q 451
}
wait_until 25 answered_451 || fail "the 451 is not given as the reason: $(mail_queue)"
Q=$(mail_queue | jq -c '[.mail[] | select(.email == "tempfail@example.com")][0]')
assert_eq queued "$(jq -r .status <<<"$Q")" "a 451 answer keeps the mail queued"
assert_eq 0 "$(mails_to "$MAILDIR" tempfail@example.com)" "mails to the 451 mailbox"
ok "a 451 answer is retried, not failed"
