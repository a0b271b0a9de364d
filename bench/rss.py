"""Peak resident memory of a process over a stretch of time, from /proc."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from loadgen import Result

SAMPLE_SECONDS = 0.05


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class PeakRss:
    """`with PeakRss(pid) as peak: ...` then `peak.mb`: the most memory the process held inside the block."""

    # The kernel's high-water mark (VmHWM) catches even short spikes, but it counts from the process's start; writing 5
    # to clear_refs resets it, so that each scenario gets its own peak. Where that is refused (an old kernel, another
    # user's process) a sampler thread reads VmRSS every 50 ms instead.

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.mb = 0.0
        self.method = ""
        self._sampled_kb = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakRss:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.method = "VmHWM"
        except OSError:
            self.method = "VmRSS sampled every 50 ms"
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while True:
            try:
                self._sampled_kb = max(self._sampled_kb, _status_kb(self.pid, "VmRSS"))
            except OSError:
                return  # the process ended
            if self._stop.wait(SAMPLE_SECONDS):
                return

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        peak_kb = self._sampled_kb
        if self.method == "VmHWM":
            peak_kb = max(peak_kb, _status_kb(self.pid, "VmHWM"))
        self.mb = round(peak_kb / 1024, 1)


def measured(pid: int, run: Callable[[], Result]) -> Result:
    """What run() measured, with the process's peak RSS over it."""
    with PeakRss(pid) as peak:
        result = run()
    result.peak_rss_mb = peak.mb
    return result
