"""The results as a Markdown table (per event, then server RSS per minute) and as JSON."""

from __future__ import annotations

import dataclasses
import os
import platform

from explainer.loadtest.record import Recorder, Summary
from explainer.loadtest.run import Results


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:,.0f}"


def event_table(summaries: list[Summary]) -> list[str]:
    lines = ["| event | count | p50 ms | p95 ms | p99 ms | refused | errors | cut |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for s in summaries:
        lines.append(f"| {s.event} | {s.count} | {_ms(s.p50)} | {_ms(s.p95)} | {_ms(s.p99)} | {s.refused} | "
                     f"{s.errors} | {s.cut} |")
    return lines


def error_lines(recorder: Recorder) -> list[str]:
    lines = []
    for name, log in recorder.events.items():
        for kind, count in log.errors.items():
            lines.append(f"- {name} · {kind} ×{count}: {log.first_error[kind]}")
    return lines


def rss_per_minute(results: Results) -> list[tuple[str, float]]:
    """RSS before and after the warm-up, the last sample of each minute, and at the end."""
    rows = [(label, mb) for label, mb in (("before warm-up", results.rss_before_warmup),
                                          ("after warm-up (clock starts)", results.rss_after_warmup))
            if mb is not None]
    by_minute: dict[int, float] = {}
    for t, mb in results.rss[:-1]:
        by_minute[int(t // 60)] = mb  # the last sample within minute m
    rows += [(f"minute {m + 1}", mb) for m, mb in sorted(by_minute.items())]
    if results.rss:
        rows.append((f"end ({results.rss[-1][0]:.0f} s)", results.rss[-1][1]))
    if results.rss_settled is not None:
        rows.append((f"{results.rss_settled[0]:.0f} s after the last visitor left", results.rss_settled[1]))
    return rows


def text(results: Results) -> str:
    s = results.settings
    load = " → ".join(" ".join(f"{x:.2f}" for x in avg) for avg in results.load_average)
    out = [f"Load test: {s.users} concurrent visitors for {s.seconds / 60:g} min against {results.url} (seed {s.seed})",
           f"Machine: {platform.machine()}, {os.cpu_count()} cores; load average (1, 5, 15 min) {load}",
           f"Sessions: {results.sessions}; latency = to the first frame (a view's figure, a live view's first "
           "frame; page load: until every page-load event answered)", ""]
    out += event_table(results.recorder.summaries())
    errors = error_lines(results.recorder)
    if errors:
        out += ["", "Errors (first message of each kind):", *errors]
    warm = error_lines(results.warmup)
    if warm:
        out += ["", "Warm-up errors:", *warm]
    out += [""]
    if results.pid is None:
        out.append("Server RSS: not measured (pass --pid with --url)")
    else:
        out += [f"Server RSS (pid {results.pid}):", "", "| when | MB |", "|---|--:|"]
        out += [f"| {label} | {mb:,.0f} |" for label, mb in rss_per_minute(results)]
    if results.tracebacks is not None:
        out += ["", f"Server log: {results.tracebacks} tracebacks"]
    return "\n".join(out)


def as_json(results: Results) -> dict:
    settings = dataclasses.asdict(results.settings)
    return {
        "settings": settings, "url": results.url, "pid": results.pid, "sessions": results.sessions,
        "load_average": results.load_average, "cpu_count": os.cpu_count(),
        "events": [dataclasses.asdict(x) for x in results.recorder.summaries()],
        "warmup_events": [dataclasses.asdict(x) for x in results.warmup.summaries()],
        "rss_mb": {"before_warmup": results.rss_before_warmup, "after_warmup": results.rss_after_warmup,
                   "samples": results.rss, "settled": results.rss_settled,
                   "per_minute": rss_per_minute(results)},
        "errors": results.recorder.errors, "tracebacks": results.tracebacks,
    }
