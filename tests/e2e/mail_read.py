"""Reads what the test SMTP server (smtp_sink.py) received: every message in
a directory as one JSON array on stdout, oldest first, with the envelope,
the decoded headers and the decoded text/plain and text/html parts, so the
e-mail tests check them with jq. usage: mail_read.py DIR"""

import email
import glob
import json
import os
import sys
from email import policy


def main():
    out = []
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=policy.default)
        with open(path[:-4] + ".json") as f:
            env = json.load(f)
        parts = {}
        for part in msg.walk():
            ctype = part.get_content_type()
            if ctype in ("text/plain", "text/html"):
                parts[ctype] = part.get_content()
        out.append({
            "file": os.path.basename(path),
            "envelope_from": env["from"],
            "envelope_to": env["to"],
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "date": str(msg["Date"]),
            "message_id": str(msg["Message-ID"]),
            "mime_version": str(msg["MIME-Version"]),
            "content_type": msg.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        })
    json.dump(out, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
