"""An SMTP server for the e-mail tests: every message it accepts is written
to a directory, one file per message, so a test counts and reads what
arrived. Run with Debian's aiosmtpd:

    PYTHONPATH=tests/e2e /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT \
        -c smtp_sink.Sink DIR

Recipients whose local part starts with "bounce" are refused for good (550),
those starting with "tempfail" for now (451), so tests can see both kinds of
refusal. NNN.eml holds the message as received; NNN.json the envelope
(written first: a test that sees the .eml sees both)."""

import json
import os
import time


class Sink:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes one argument: the directory for the messages")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 no such mailbox here"
        if local.startswith("tempfail"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = "%020d-%d" % (time.time_ns(), os.getpid())
        base = os.path.join(self.directory, name)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        os.rename(base + ".json.tmp", base + ".json")
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 message accepted"
