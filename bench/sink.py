"""An SMTP sink in a process of its own, so that the load generator's work never delays a mail's arrival time."""

# Run as a script it serves tests/mailsink.py's MailSink and prints one JSON line per mail it accepts; RemoteSink starts
# it and reads those lines.

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"


class RemoteSink:
    """The sink process, seen from the benchmark: its URL and the mails it reported."""

    def __init__(self) -> None:
        self.mails: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._process = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self.mails.append(json.loads(line))
                self._changed.notify_all()

    def wait_for(self, predicate: Any, timeout: float) -> Any:
        """Block until predicate(mails) is truthy; return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (value := predicate(self.mails)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"the sink did not see the mails in {timeout}s")
                self._changed.wait(remaining)
            return value

    def code_for(self, address: str, timeout: float = 30) -> str:
        """The code in the first mail to an address."""
        found = self.wait_for(lambda mails: [m for m in mails if address in m["to"]], timeout)
        return str(found[0]["code"])

    def stop(self) -> None:
        """End the sink process."""
        self._process.terminate()
        self._process.wait(timeout=10)


def _serve() -> None:
    sys.path.insert(0, str(TESTS))
    from mailsink import Mail, MailSink

    sink = MailSink()
    reported = threading.Condition()

    def report(mail: Mail) -> None:
        code = mail.code() if "code: " in mail.body else None
        line = {"to": list(mail.to), "subject": mail.subject, "received": mail.received, "code": code}
        with reported:
            print(json.dumps(line), flush=True)

    sink.on_mail = report
    sink.start()
    print(sink.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    _serve()
