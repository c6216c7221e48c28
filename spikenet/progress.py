"""A dependency-free progress bar for long runs: steps done, steps/s and ETA, on stderr."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """Text progress bar updated between chunks of a run."""

    def __init__(self, total_steps: int, enabled: bool = True, width: int = 30, stream=None,
                 min_interval_s: float = 0.5) -> None:
        self.total = max(int(total_steps), 1)
        self.enabled = enabled
        self.width = width
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.min_interval_s = min_interval_s
        self.last_draw = -float("inf")

    def update(self, done: int) -> None:
        """Redraw (at most every ``min_interval_s`` seconds, and always at the end)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self.last_draw < self.min_interval_s:
            return
        self.last_draw = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        remaining = (self.total - done) / rate if rate > 0 else float("inf")
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {100 * done / self.total:5.1f}% {done}/{self.total} steps "
                          f"{rate:,.0f} steps/s ETA {remaining:,.1f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
