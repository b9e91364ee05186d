"""What the visitors saw, per event: latencies, refusals, errors (first message of each kind), cut-offs.

Latency is measured from the first request of the action until the first frame of its reply:
the figure (``complete``) for a view, the first ``generating`` frame for a live view, and for a
page load until the last page-load event completed. Refused = the queue was full (HTTP 503).
Cut = still in flight at the deadline (neither a success nor an error). Percentiles are the
linear interpolation between closest ranks (numpy's default, ``explainer.timing.percentile``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from explainer.timing import percentile

PAGE_LOAD = "page load"


@dataclass(frozen=True)
class Outcome:
    """How one action ended."""

    status: str  # "ok" (completed), "abandoned" (left after its first frame), "refused", "error"
    seconds: float | None = None  # latency to the first frame, for "ok" and "abandoned"
    kind: str = ""  # error kind: "error event", "timeout", "HTTP 500", an httpx exception name
    message: str = ""  # the error's text

    @property
    def clean(self) -> bool:
        """The session can go on: nothing of this event is left in flight on the server."""
        return self.status in ("ok", "refused") or self.kind == "error event"


@dataclass
class EventLog:
    latencies: list[float] = field(default_factory=list)  # seconds, successful actions only
    refused: int = 0
    cut: int = 0
    errors: Counter = field(default_factory=Counter)  # kind -> count
    first_error: dict[str, str] = field(default_factory=dict)  # kind -> the first message of that kind


@dataclass(frozen=True)
class Summary:
    event: str
    count: int  # successful actions
    p50: float | None  # seconds
    p95: float | None
    p99: float | None
    refused: int
    errors: int
    cut: int
    first_errors: dict[str, str]  # kind -> first message


def summarize(event: str, log: EventLog) -> Summary:
    qs = [percentile(log.latencies, q) if log.latencies else None for q in (50, 95, 99)]
    return Summary(event, len(log.latencies), *qs, log.refused, sum(log.errors.values()), log.cut,
                   dict(log.first_error))


class Recorder:
    """Outcomes by event name; every visitor writes here (one asyncio loop: no lock needed)."""

    def __init__(self) -> None:
        self.events: dict[str, EventLog] = {}

    def _log(self, event: str) -> EventLog:
        return self.events.setdefault(event, EventLog())

    def expect(self, *events: str) -> None:
        """List these events in the table even if no visitor got to them (a zero count is a finding)."""
        for event in events:
            self._log(event)

    def add(self, event: str, outcome: Outcome) -> None:
        if outcome.status in ("ok", "abandoned"):
            self.ok(event, outcome.seconds)
        elif outcome.status == "refused":
            self.refused(event)
        else:
            self.error(event, outcome.kind, outcome.message)

    def ok(self, event: str, seconds: float) -> None:
        self._log(event).latencies.append(seconds)

    def refused(self, event: str) -> None:
        self._log(event).refused += 1

    def cut(self, event: str) -> None:
        self._log(event).cut += 1

    def error(self, event: str, kind: str, message: str) -> None:
        log = self._log(event)
        log.errors[kind] += 1
        log.first_error.setdefault(kind, message[:300])

    def summaries(self) -> list[Summary]:
        """The page load first, then the page-load events (``load · …``), then the actions by name."""
        def order(name: str) -> tuple:
            return (name != PAGE_LOAD, not name.startswith("load · "), name)

        return [summarize(name, self.events[name]) for name in sorted(self.events, key=order)]

    @property
    def errors(self) -> int:
        return sum(sum(log.errors.values()) for log in self.events.values())

    def attempted(self, event: str) -> int:
        log = self.events.get(event)
        return 0 if log is None else len(log.latencies) + log.refused + sum(log.errors.values()) + log.cut
