"""Load and soak test of the app on this machine: ``python -m explainer.loadtest``.

    python -m explainer.loadtest --users 60 --minutes 5 [--url http://127.0.0.1:7860 --pid PID]
                                 [--seed 0] [--json results.json] [--no-warmup] [--cover] [--settle 90]

Without ``--url`` it starts ``python app.py`` on a free loopback port, measures it and stops
it. With ``--url`` (loopback hosts only) it drives a server already running; give its ``--pid``
to record its memory. ``--users`` visitors (≤ 200) stay on the page at once for ``--minutes``
(≤ 60, a hard deadline): a page load, then slider moves on the light views and now and then a
GAN training or a diffusion sampling watched for a few seconds and abandoned (see
``explainer/loadtest/mix.py``). It prints, per event, the count, p50/p95/p99 latency, refusals
(queue full), errors with the first message of each kind, and the server's RSS per minute, and
once more ``--settle`` seconds after the last visitor left (what it keeps when nobody is there).
Exit status 1 when any action failed, 2 when the run could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from contextlib import nullcontext
from pathlib import Path

from explainer.loadtest.report import as_json, text
from explainer.loadtest.run import MAX_SECONDS, MAX_USERS, Results, Settings, run
from explainer.loadtest.server import NotLoopback, check_loopback, rss_mb, started_app, tracebacks
from explainer.loadtest.shape import AppChanged


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m explainer.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=60, help=f"concurrent visitors, 1 to {MAX_USERS} (default 60)")
    parser.add_argument("--minutes", type=float, default=5.0,
                        help=f"measured duration, at most {MAX_SECONDS / 60:.0f} (default 5; fractions allowed)")
    parser.add_argument("--url", help="a running app on this machine (default: start python app.py)")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, to record its RSS")
    parser.add_argument("--seed", type=int, default=0, help="the visitors' choices (default 0)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false",
                        help="skip the warm-up tour (one visitor, every entry once, not measured)")
    parser.add_argument("--settle", type=float, default=90.0, metavar="SECONDS",
                        help="then wait this long with no visitor and record the server's RSS once more: closed "
                             "tabs' sessions have expired by then (default 90; 0 skips it)")
    parser.add_argument("--cover", action="store_true",
                        help="visitor slot i starts with mix entry i mod N (a short run exercises every entry)")
    return parser.parse_args(argv)


def measure(settings: Settings, url: str | None = None, pid: int | None = None) -> Results:
    """Run the load test against ``url`` (checked: loopback only) or a freshly started ``python app.py``."""
    if url is not None:
        url = check_loopback(url)
    with started_app() if url is None else nullcontext((url, pid, None)) as (base, server_pid, log):
        results = asyncio.run(run(settings, base, server_pid))
        results.tracebacks = tracebacks(log) if log is not None else None
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.url is not None:
            check_loopback(args.url)
        if args.pid is not None and rss_mb(args.pid) is None:
            raise ValueError(f"--pid {args.pid}: no such process whose memory this user can read")
        settings = Settings(users=args.users, seconds=args.minutes * 60, seed=args.seed, warmup=args.warmup,
                            cover=args.cover, settle=args.settle)
    except (NotLoopback, ValueError) as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    try:
        results = measure(settings, args.url, args.pid)
    except AppChanged as exc:
        print(f"loadtest: the app changed: {exc}", file=sys.stderr)
        return 2
    print(text(results))
    if args.json is not None:
        args.json.write_text(json.dumps(as_json(results), indent=1))
    return 1 if results.recorder.errors or results.warmup.errors else 0


if __name__ == "__main__":
    sys.exit(main())
