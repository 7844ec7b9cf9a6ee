#!/usr/bin/env bash
# t500: e-mailed receipts through a real SMTP server on loopback. Online, a
# sale with --email arrives once, with the receipt number, lines, totals, VAT
# and payments in its text and HTML parts. Offline, the cashier is told the
# e-mail is queued and nothing arrives; when the back office is back and the
# register syncs, it arrives once -- and still once after more syncs and a
# restart of the back office. `talad receipt email` and the staff API queue
# a receipt too; a receipt goes to an address once; a refused address fails
# for good; without --smtp the mails wait and the log says so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail-lib.sh"

SPORT=$(free_port)
MAILDIR="$T/mail"
smtp_start "$SPORT" "$MAILDIR"

new_shop
grep -q "no --smtp: receipt e-mails are queued and wait" "$T/server-$PORT.log" ||
	fail "without --smtp the startup log does not say the mails wait: $(cat "$T/server-$PORT.log")"
stop_server "$SERVER_PID"
serve_mail "$SPORT"
grep -q "receipt e-mails go out through smtp://127.0.0.1:$SPORT" "$T/server-$PORT.log" ||
	fail "the startup log does not name the SMTP server"

H="$T/reg"
reg_login "$H" "Counter 1" >"$T/login.out" 2>&1 || { cat "$T/login.out"; fail "login"; }
SKU=$(tracked_sku)

# ---- online ----
reg "$H" sell "$SKU*2" --pay cash:1000 --email buyer@example.com >"$T/s1.out" 2>&1 ||
	{ cat "$T/s1.out"; fail "online sale with --email"; }
grep -q "receipt e-mail sent to the back office for delivery to buyer@example.com" "$T/s1.out" ||
	fail "the cashier is not told the e-mail went to the back office: $(cat "$T/s1.out")"
wait_until 15 mails_at_least "$MAILDIR" 1 ||
	fail "no mail arrived: $(mail_queue)"
ORDER=$(server_orders | jq -c '.[0]')
NUM=$(jq -r .number <<<"$ORDER")
TOTAL=$(jq -r .total <<<"$ORDER")
VAT=$(jq -r .tax_total <<<"$ORDER")
assert_eq R01-000001 "$NUM" "receipt number"
M=$(mails "$MAILDIR" | jq -c '.[0]')
assert_eq '["buyer@example.com"]' "$(jq -c .envelope_to <<<"$M")" "envelope recipient"
assert_eq "$MAIL_FROM" "$(jq -r .envelope_from <<<"$M")" "envelope sender"
assert_eq "Receipt $NUM — Talad Demo Market" "$(jq -r .subject <<<"$M")" "subject"
assert_eq "Talad Demo Market <$MAIL_FROM>" "$(jq -r .from <<<"$M")" "From"
assert_eq "multipart/alternative" "$(jq -r .content_type <<<"$M")" "content type"
assert_eq "1.0" "$(jq -r .mime_version <<<"$M")" "MIME-Version"
[ "$(jq -r .date <<<"$M")" != null ] || fail "no Date header"
MSGID=$(jq -r .message_id <<<"$M")
case "$MSGID" in "<receipt."*"@demo-shop.example>") ;; *) fail "Message-ID: $MSGID" ;; esac
TEXT=$(jq -r .text <<<"$M")
HTML=$(jq -r .html <<<"$M")
for want in "$NUM" "TOTAL" "$TOTAL" "VAT 7% included" "$VAT" "Cash" "1,000.00" "Change" \
	"ตลาดเดโม"; do
	grep -qF -- "$want" <<<"$TEXT" || fail "the text part lacks '$want':
$TEXT"
done
for want in "$NUM" "THB $TOTAL" "VAT 7% included" "$VAT" "Cash" "1,000.00" "Change" \
	"Talad Demo Market" "<td align=\"right\">2</td>"; do
	grep -qF -- "$want" <<<"$HTML" || fail "the html part lacks '$want':
$HTML"
done
sleep 1
assert_eq 1 "$(mail_count "$MAILDIR")" "mails after the online sale"
Q=$(mail_queue | jq -c '[.mail[] | select(.email == "buyer@example.com")][0]')
assert_eq sent "$(jq -r .status <<<"$Q")" "mail status"
assert_eq 1 "$(jq -r .attempts <<<"$Q")" "attempts"
[ "$(jq -r .sent_at <<<"$Q")" != null ] || fail "sent_at missing: $Q"
ok "online: one mail with number, lines, totals, VAT and payments in text and html"

# ---- offline ----
stop_server "$SERVER_PID"
reg "$H" sell "$SKU" --pay cash --email offline@example.com >"$T/s2.out" 2>&1 ||
	{ cat "$T/s2.out"; fail "offline sale with --email"; }
grep -q "no connection: the e-mail is queued and will be sent once the register syncs" \
	"$T/s2.out" || fail "the cashier is not told the e-mail is queued: $(cat "$T/s2.out")"
reg "$H" receipt email "$NUM" second@example.com >"$T/r1.out" 2>&1 ||
	{ cat "$T/r1.out"; fail "talad receipt email offline"; }
grep -q "no connection: the e-mail is queued" "$T/r1.out" ||
	fail "receipt email offline: $(cat "$T/r1.out")"
reg "$H" receipt email R01-000002 --json third@example.com >"$T/r2.json" ||
	fail "talad receipt email --json offline"
assert_eq queued "$(jq -r .status "$T/r2.json")" "receipt email --json status offline"
assert_eq R01-000002 "$(jq -r .number "$T/r2.json")" "receipt email --json number"
sleep 1
assert_eq 1 "$(mail_count "$MAILDIR")" "mails while offline"
ok "offline: the cashier is told it is queued, and nothing is sent"

# ---- back, synced: each once ----
serve_mail "$SPORT"
reg "$H" sync >"$T/sync1.out" 2>&1 || { cat "$T/sync1.out"; fail "sync after reconnect"; }
wait_until 15 mails_at_least "$MAILDIR" 4 ||
	fail "the queued mails did not arrive: $(mail_queue)"
reg "$H" sync >/dev/null 2>&1 || fail "second sync"
reg "$H" sync >/dev/null 2>&1 || fail "third sync"
stop_server "$SERVER_PID"
serve_mail "$SPORT"
reg "$H" sync >/dev/null 2>&1 || fail "sync after the restart"
sleep 3
assert_eq 4 "$(mail_count "$MAILDIR")" "mails after syncs and a restart"
for a in buyer@example.com offline@example.com second@example.com third@example.com; do
	assert_eq 1 "$(mails_to "$MAILDIR" "$a")" "mails to $a"
done
assert_eq 4 "$(mails "$MAILDIR" | jq '[.[].message_id] | unique | length')" "distinct Message-IDs"
assert_eq "Receipt R01-000002 — Talad Demo Market" \
	"$(mails "$MAILDIR" | jq -r '.[] | select(.envelope_to == ["offline@example.com"]) | .subject')" \
	"subject of the offline sale's mail"
ok "after reconnect each queued mail arrived once, and once only after more syncs and a restart"

# ---- a receipt goes to an address once ----
reg "$H" receipt email "$NUM" Buyer@Example.com >"$T/r3.out" 2>&1 || fail "receipt email again"
grep -q "already asked" "$T/r3.out" || fail "asking twice is not told: $(cat "$T/r3.out")"
OID=$(jq -r .id <<<"$ORDER")
api POST "$URL/api/v1/orders/$OID/email" "$OWNER" '{"email": "buyer@example.com"}' >/dev/null
assert_eq 409 "$HTTP_STATUS" "staff asking for a receipt already sent"
sleep 2
assert_eq 4 "$(mail_count "$MAILDIR")" "mails after asking twice"
ok "a receipt goes to an address once"

# ---- staff ask; a refused address fails for good ----
api POST "$URL/api/v1/orders/$OID/email" "$OWNER" '{"email": "staff-copy@example.com"}' \
	>"$T/post.json"
assert_eq 202 "$HTTP_STATUS" "POST /orders/{id}/email"
assert_eq queued "$(jq -r .mail.status "$T/post.json")" "status of a staff request"
wait_until 15 mails_to_is "$MAILDIR" staff-copy@example.com 1 ||
	fail "the staff request did not arrive: $(mail_queue)"
api POST "$URL/api/v1/orders/$OID/email" "$OWNER" '{"email": "not an address"}' >/dev/null
assert_eq 400 "$HTTP_STATUS" "a bad address"
api POST "$URL/api/v1/orders/01900000-0000-7000-8000-00000000dead/email" "$OWNER" \
	'{"email": "x@example.com"}' >/dev/null
assert_eq 404 "$HTTP_STATUS" "an unknown order"
api POST "$URL/api/v1/orders/$OID/email" "$OWNER" '{"email": "bounce@example.com"}' >/dev/null
assert_eq 202 "$HTTP_STATUS" "POST for an address the SMTP server refuses"
wait_until 15 mail_status_is bounce@example.com failed ||
	fail "a refused address did not fail: $(mail_queue)"
mail_queue | jq -r '.mail[] | select(.email == "bounce@example.com") | .error' | grep -q 550 ||
	fail "the failure does not carry the SMTP refusal: $(mail_queue)"
assert_eq 0 "$(mails_to "$MAILDIR" bounce@example.com)" "mails to the refused address"
ok "staff requests are sent; a 550 refusal fails the mail with its reason"

# ---- bad addresses never reach the outbox ----
before=$(reg_pending "$H")
rc=0
reg "$H" receipt email "$NUM" "not-an-address" >"$T/bad.out" 2>&1 || rc=$?
assert_eq 2 "$rc" "talad receipt email with a bad address (exit status)"
grep -q "is not an e-mail address" "$T/bad.out" || fail "bad address message: $(cat "$T/bad.out")"
rc=0
reg "$H" sell "$SKU" --pay cash --email "a@b" >"$T/bad2.out" 2>&1 || rc=$?
assert_eq 2 "$rc" "talad sell --email with a bad address (exit status)"
rc=0
reg "$H" receipt email R09-999999 x@example.com >"$T/bad3.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "talad receipt email of an unknown order (exit status)"
assert_eq "$before" "$(reg_pending "$H")" "pending after refused requests"
ok "bad addresses and unknown orders are refused before anything is queued"
