#!/usr/bin/env bash
# Receipts and the cash drawer end to end: a register of the demo shop prints
# each cash sale to its printer (Thai text in TIS-620 under ESC t 21, the
# drawer kicked first, a QR of the order id, a cut); a printer that reports
# paper out is not printed to, the sale still succeeds and the cashier gets
# the reprint command, which then works on another printer; `talad drawer
# open` kicks the drawer; every opening (and no failed one) reaches the back
# office's drawer log;
# `talad printer status` reads paper out in plain words.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "skip: python3 is needed for the fake printer"; exit 77; }

hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
has_bytes() { # FILE HEX WHAT
	case "$(hex "$1")" in *"$2"*) ;; *) fail "$3: bytes $2 not in $(basename "$1")" ;; esac
}

# A fake network printer: answers DLE EOT n with scripted status bytes and
# appends everything else it receives to a capture file.
cat >"$T/fakeprinter.py" <<'EOF'
import socket, sys
port, mode, cap = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ans = {"ready": [0x12] * 4, "paperout": [0x12, 0x32, 0x12, 0x72]}[mode]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
while True:
    c, _ = s.accept()
    buf = b""
    with open(cap, "ab") as f:
        while True:
            d = c.recv(4096)
            if not d:
                break
            buf += d
            out, i = b"", 0
            while i < len(buf):
                if buf[i] == 0x10:
                    if len(buf) - i < 3:
                        break
                    if buf[i + 1] == 4 and 1 <= buf[i + 2] <= 4:
                        c.sendall(bytes([ans[buf[i + 2] - 1]]))
                        i += 3
                        continue
                out += buf[i:i + 1]
                i += 1
            buf = buf[i:]
            f.write(out)
            f.flush()
    c.close()
EOF
fake_printer() { # MODE CAPTURE: starts one, sets FAKE_PORT
	FAKE_PORT=$(free_port)
	python3 "$T/fakeprinter.py" "$FAKE_PORT" "$1" "$2" 2>>"$T/fake.log" &
	PIDS+=("$!")
	wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$FAKE_PORT" || fail "fake printer did not start"
}

new_shop
H="$T/reg1"
out=$(reg_login "$H" "Till 1") || fail "login: $out"

# Settings are checked when they are set.
if out=$(reg "$H" config set printer lpt1 2>&1); then fail "a bad printer URI was stored"; fi
grep -q 'unknown printer address' <<<"$out" || fail "bad printer refused without reason: $out"
if out=$(reg "$H" config set drawer-pin 3 2>&1); then fail "drawer-pin 3 was stored"; fi
P1="$T/printer1.bin"
reg "$H" config set printer "file:$P1" >/dev/null || fail "config set printer"
reg "$H" config set drawer on >/dev/null || fail "config set drawer"
reg "$H" config set receipt-lang th >/dev/null || fail "config set receipt-lang"
reg "$H" config set receipt-qr on >/dev/null || fail "config set receipt-qr"
reg "$H" config set printer-width 32 >/dev/null || fail "config set printer-width"
ok "printer settings checked and stored"

# A cash sale: printed with the drawer kicked first.
sale=$(reg "$H" sell "custom:ยอดสุทธิทดสอบ=45.00" --pay cash:100 --json) || fail "sell: $sale"
id=$(jq -r .id <<<"$sale")
num=$(jq -r .number <<<"$sale")
[ -s "$P1" ] || fail "nothing printed after the sale"
job=$(hex "$P1")
case "$job" in 1b700032fa1b40*) ;; *) fail "the job does not start with the drawer kick: ${job:0:40}" ;; esac
has_bytes "$P1" 1b7415 "code page 21"
has_bytes "$P1" c2cdb4cad8b7b8d4 "Thai in TIS-620 (ยอดสุทธิ)"
has_bytes "$P1" "$(printf '%s' "$id" | od -An -v -tx1 | tr -d ' \n')" "the QR payload (order id)"
has_bytes "$P1" 1d5601 "the cut"
ok "sale $num printed: drawer kick, ESC t 21, TIS-620 text, QR, cut"

# A printer out of paper: the sale stands, the cashier is told how to reprint,
# and the drawer is neither kicked nor logged as opened.
fake_printer paperout "$T/fake-paperout.bin"
reg "$H" config set printer "tcp://127.0.0.1:$FAKE_PORT" >/dev/null || fail "config set tcp printer"
out=$(reg "$H" sell "custom:Tea=30.00" --pay cash:30 2>&1) || fail "a sale failed because of the printer: $out"
num2=$(grep -o 'sale R01-[0-9]*' <<<"$out" | cut -d' ' -f2)
[ -n "$num2" ] || fail "no sale number in: $out"
grep -q "receipt not printed: printer 127.0.0.1:$FAKE_PORT reports paper out; reprint with: talad receipt print $num2" <<<"$out" ||
	fail "the cashier was not told: $out"
grep -q "drawer not opened: printer 127.0.0.1:$FAKE_PORT reports paper out" <<<"$out" ||
	fail "the cashier was not told about the drawer: $out"
[ ! -s "$T/fake-paperout.bin" ] || fail "a job was sent to a printer without paper"
reg "$H" orders --json | jq -e --arg n "$num2" '.orders | any(.number == $n)' >/dev/null ||
	fail "the sale is not in the orders"
ok "paper out: sale $num2 kept, cashier told to reprint"

out=$(reg "$H" printer status --json) || fail "printer status: $out"
assert_eq "paper out" "$(jq -r .status <<<"$out")" "printer status words"
assert_eq false "$(jq -r .ready <<<"$out")" "printer ready"
ok "printer status: paper out"

# Reprint on a printer that works.
fake_printer ready "$T/fake-ready.bin"
out=$(reg "$H" receipt print "$num2" --printer "tcp://127.0.0.1:$FAKE_PORT") || fail "reprint: $out"
assert_eq "printed receipt $num2" "$out" "reprint message"
wait_for 25 test -s "$T/fake-ready.bin" || fail "the reprint did not reach the printer"
has_bytes "$T/fake-ready.bin" "$(printf '%s' "$num2" | od -An -v -tx1 | tr -d ' \n')" "the reprinted number"
has_bytes "$T/fake-ready.bin" 1d5601 "the reprint's cut"
case "$(hex "$T/fake-ready.bin")" in *1b70*) fail "a reprint kicked the drawer" ;; esac
ok "reprinted $num2 on a working printer"

# "No sale": the drawer opens through the printer, and is logged.
reg "$H" config set printer "file:$P1" >/dev/null
: >"$P1"
out=$(reg "$H" drawer open --reason "change for the float") || fail "drawer open: $out"
assert_eq 1b700032fa "$(hex "$P1")" "the drawer-only job"
ok "drawer open: $out"

# Every opening reaches the back office.
reg "$H" sync >/dev/null || fail "sync"
api GET "$URL/api/v1/drawer-events" "$OWNER" >"$T/drawer.json"
assert_eq 200 "$HTTP_STATUS" "GET drawer-events"
reasons=$(jq -r '[.drawer_events[].reason] | sort | join("|")' "$T/drawer.json")
# The paper-out sale never opened the drawer, so it is not in the log.
assert_eq "change for the float|sale $num" "$reasons" "drawer openings on the back office"
ok "both drawer openings logged on the back office, none for the failed kick"
