"""The impatient user and the projector (issue 14, "tests that catch the kind").

For every tab app.py registers (found in /config, so a new tab is covered once registered):

* a seeded burst of rapid keyboard presses on sliders (30-80 ms apart), dropdown options,
  radio buttons, check boxes, buttons and sub-tabs, bounded in time; a button that starts a
  stream is followed by the button that cancels it. Then: within SETTLE_S no output shows a
  spinner; no request to /gradio_api/ starts QUIET_AFTER_S after the last action (once settled);
  no console error and no toast with the generic "Something went wrong"; and every visible plot
  that an API-callable event draws equals what that event returns, called directly through
  gradio_client with the values the controls show now (the figures match the last values set);
  (the open view, then every sub-tab's);
* at 1024 x 768 (a projector), the tab's first figure is on the first screen.

Failures name the tab, the control or plot, and the values; the actions taken are printed (-s).
"""

from __future__ import annotations

import math
import os
import random
import time

import numpy as np
import pytest

from tests.browser.impatient import (
    TOP_PANEL,
    AppMap,
    impatient_burst,
    open_page,
    pending_outputs,
    shown_plots,
    shown_values,
    toasts,
)
from tests.ui.plotly_json import decode, figure

pytestmark = pytest.mark.browser

SEED = 14
SECONDS = float(os.environ.get("IMPATIENT_SECONDS", "5"))  # per tab (longer on a busy page): a bounded burst
SETTLE_S = 5.0  # after the last action, every spinner must be gone within this
QUIET_AFTER_S = 2.0  # ... and no request may start later than this after the last action (once settled)
WATCH_S = 2.0  # how long the page is watched for late requests
VIEWS_S = 15.0  # time for comparing the figures of the other sub-tabs, per tab
OPEN_S = 15.0  # a sub-tab opened for that comparison may start a heavy view (sampling): it must settle in this
GENERIC = "Something went wrong"
CONTROLS = ("slider", "dropdown", "radio", "checkbox", "checkboxgroup", "button")


def _leaves(value) -> list:
    if isinstance(value, dict) and "bdata" in value:
        return list(decode(value).ravel())
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _as_numbers(leaves: list):
    try:
        return np.array([math.nan if v is None else float(v) for v in leaves])
    except (TypeError, ValueError):
        return None


def figure_difference(shown: dict, expected: dict) -> str | None:
    """None when the browser's figure has the expected traces, data and title; else the first difference."""
    a, b = shown["data"], expected["data"]
    if len(a) != len(b):
        return f"{len(a)} trace(s) shown, {len(b)} expected"
    for n, (s, e) in enumerate(zip(a, b)):
        if s.get("type", "scatter") != e.get("type", "scatter"):
            return f"trace {n} is a {s.get('type')}, expected a {e.get('type')}"
        for key in ("x", "y", "z", "text"):
            if s.get(key) is None and e.get(key) is None:
                continue
            ls, le = _leaves(s.get(key)), _leaves(e.get(key))
            if len(ls) != len(le):
                return f"trace {n} {key}: {len(ls)} values shown, {len(le)} expected"
            ns, ne = _as_numbers(ls), _as_numbers(le)
            same = (np.allclose(ns, ne, rtol=1e-4, atol=1e-6, equal_nan=True) if ns is not None and ne is not None
                    else [str(v) for v in ls] == [str(v) for v in le])
            if not same:
                return f"trace {n} {key} differs (shown {ls[:4]}…, expected {le[:4]}…)"
    title = (expected.get("layout") or {}).get("title")
    title = title.get("text", "") if isinstance(title, dict) else (title or "")
    if title and title != shown["title"]:
        return f"title {shown['title']!r}, expected {title!r}"
    return None


def pick_producer(amap: AppMap, plot_id: int, record) -> dict | None:
    """The event to call directly for a plot: the one the page ran last, if it can be called with
    widget values alone; else an API-only twin (no trigger) drawing the same plot; else None (the
    plot depends on server-side session state, e.g. a training run)."""
    callable_ = amap.producers(plot_id)
    ran = [d for d in amap.deps.values() if plot_id in d["outputs"] and d["id"] in record.joined]
    last = max(ran, key=lambda d: record.joined[d["id"]], default=None)
    if last is not None and last in callable_:
        return last
    twins = [d for d in callable_ if not d["targets"]]
    return twins[0] if twins else None


def figure_mismatches(page, amap: AppMap, tab_id: int, record, client, compared: list) -> list[str]:
    """Compare each visible plot not yet in ``compared`` with a direct call of the event that draws it."""
    labels = [amap.label(c) for c in amap.inside(tab_id, "plot")]
    by_label = {amap.label(c): c for c in amap.inside(tab_id, "plot") if labels.count(amap.label(c)) == 1}
    problems = []
    for shown in shown_plots(page):
        cid = by_label.get(shown["label"])
        if cid is None or shown["label"] in compared:
            continue  # unlabelled, or drawn only from session state (training): judged by the other checks
        dep = pick_producer(amap, cid, record)
        if dep is None:
            continue
        now = shown_values(page, amap, dep["inputs"])
        values = []
        for i in dep["inputs"]:
            v = now.get(i, record.sent.get(i, amap.components[i]["props"].get("value")))
            values.append(int(v) if amap.kind(i) == "slider" and isinstance(v, float) and v.is_integer() else v)
        said = ", ".join(f"{amap.label(i)[:30]}={v!r}"[:60] for i, v in zip(dep["inputs"], values))
        try:
            result = client.predict(*values, fn_index=dep["id"])
        except Exception as exc:  # noqa: BLE001 - reported with the values, unless the page shows a refusal too
            if not any(v is not None for t in shown["figure"]["data"] for k in ("x", "y", "z") for v in _leaves(t.get(k))):
                compared.append(shown["label"])  # an empty frame saying why, and the API refuses: consistent
                continue
            problems.append(f"plot {shown['label']!r}: direct call of {dep['api_name']!r} with [{said}] "
                            f"failed: {str(exc)[:200]}")
            continue
        result = result if isinstance(result, (list, tuple)) else [result]
        returned = [o for o in dep["outputs"] if amap.kind(o) != "state"]  # the client leaves State out
        diff = figure_difference(shown["figure"], figure(result[returned.index(cid)]))
        if diff:
            problems.append(f"plot {shown['label']!r} does not show the controls' values [{said}] "
                            f"({dep['api_name']!r} called directly): {diff}")
        compared.append(shown["label"])
    return problems


def wait_settled(page, seconds: float) -> tuple[float | None, list[str]]:
    """(time it settled or None, the outputs still pending)."""
    deadline, pending = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        pending = pending_outputs(page)
        if not pending:
            return time.monotonic(), []
        page.wait_for_timeout(100)
    return None, pending


def impatient_tab(browser, app_url, amap, tab_id, label, rng) -> list[str]:
    from gradio_client import Client

    page, record = open_page(browser, app_url, amap)
    start = time.monotonic()
    try:
        page.get_by_role("tab", name=label, exact=True).first.click()
        opened, pending = wait_settled(page, 60)
        if opened is None:
            return [f"the tab never settled after opening (spinners on {pending})"]
        burst = time.monotonic()
        log = impatient_burst(page, rng, SECONDS, amap.streams())
        last = time.monotonic()
        print(f"\n{label}: {len(log)} actions in {last - burst:.0f} s; last ones: {log[-6:]}")
        problems = []
        settled, pending = wait_settled(page, SETTLE_S)
        if settled is None:
            problems.append(f"{SETTLE_S:.0f} s after the last action these outputs still show a spinner: {pending}")
        quiet_from = max(last + QUIET_AFTER_S, settled or last + SETTLE_S)
        page.wait_for_timeout(max(0.0, quiet_from + WATCH_S - time.monotonic()) * 1000)
        late = [(round(t - last, 1), path, amap.deps.get(fn, {}).get("api_name"))
                for t, path, fn in record.requests if t >= quiet_from]
        if late:
            problems.append(f"requests still sent {QUIET_AFTER_S:.0f}+ s after the last action "
                            f"(seconds after it, path, event): {late[:8]}{' …' if len(late) > 8 else ''}")
        if record.errors:
            problems.append(f"console errors: {record.errors[:5]}")
        generic = [t for t in toasts(page) if GENERIC in t]
        if generic:
            problems.append(f"the generic error appeared {len(generic)} time(s): {generic[0]!r}")
        client, compared = Client(app_url, verbose=False), []
        problems += figure_mismatches(page, amap, tab_id, record, client, compared)
        until = time.monotonic() + VIEWS_S
        for sub in page.locator(TOP_PANEL).first.get_by_role("tab").all_inner_texts():  # every view, not just the open one
            if time.monotonic() > until:
                print(f"{label}: sub-tab {sub.strip()!r} and after not compared (over {VIEWS_S:.0f} s)")
                break
            page.locator(TOP_PANEL).first.get_by_role("tab", name=sub.strip(), exact=True).first.click()
            settled, pending = wait_settled(page, OPEN_S)
            if settled is None:
                problems.append(f"opening the sub-tab {sub.strip()!r} left spinners for {OPEN_S:.0f} s: {pending}")
            problems += [f"[{sub.strip()}] {p}" for p in figure_mismatches(page, amap, tab_id, record, client, compared)]
        print(f"{label}: compared plots {compared}; toasts {toasts(page)[:4]}; {time.monotonic() - start:.0f} s")
        if problems:
            problems.append(f"(the last actions were: {log[-8:]})")
        return problems
    finally:
        page.context.close()


def test_an_impatient_user_leaves_every_tab_settled_and_consistent(browser, app_url):
    amap = AppMap(app_url)
    tabs = [(t, label) for t, label in amap.top_tabs() if any(amap.inside(t, k) for k in CONTROLS)]
    assert tabs, "no tab with controls was found in /config: the discovery is broken"
    report = {}
    for n, (tab_id, label) in enumerate(tabs):
        problems = impatient_tab(browser, app_url, amap, tab_id, label, random.Random(SEED + n))
        if problems:
            report[label] = problems
    text = "\n".join(f"[{label}]\n  " + "\n  ".join(p) for label, p in report.items())
    assert not report, f"{len(report)} of {len(tabs)} tabs misbehave after rapid input:\n{text}"


def test_each_tabs_first_figure_is_on_the_first_screen_at_1024x768(browser, app_url):
    width, height = 1024, 768
    amap = AppMap(app_url)
    page, _ = open_page(browser, app_url, amap, width, height)
    failures, checked = [], 0
    try:
        for tab_id, label in amap.top_tabs():
            if not amap.inside(tab_id, "plot"):
                continue
            page.evaluate("window.scrollTo(0, 0)")
            page.get_by_role("tab", name=label, exact=True).first.click()
            first = page.locator(TOP_PANEL).first.locator(".js-plotly-plot:visible").first
            try:
                first.wait_for(timeout=60_000)
                page.wait_for_function("p => p.data && p.data.length > 0", arg=first.element_handle(), timeout=60_000)
            except Exception:  # noqa: BLE001 - reported as the failure
                failures.append(f"{label}: no figure was drawn within 60 s")
                continue
            name = first.evaluate("p => (p.closest('.block')?.querySelector('[data-testid=block-label]')"
                                  "?.textContent || '').trim()")
            box = first.bounding_box()
            top = box["y"] + page.evaluate("window.scrollY")
            visible = height - top
            need = min(200.0, box["height"] / 2)
            checked += 1
            print(f"\n{label}: first figure {name!r} top {top:.0f} px, height {box['height']:.0f} px")
            if visible < need:
                failures.append(f"{label}: its first figure {name!r} starts at y = {top:.0f} px, so "
                                f"{max(visible, 0):.0f} px of its {box['height']:.0f} px show on the "
                                f"{width}x{height} first screen (needs {need:.0f})")
    finally:
        page.context.close()
    assert checked or failures, "no tab with a figure was found"
    assert not failures, "main figure below the fold at 1024x768:\n" + "\n".join(failures)


def test_figure_difference_sees_a_changed_value_and_passes_an_equal_figure():
    """The comparison itself (no browser): bdata vs plain lists, typed-array order, titles."""
    expected = {"data": [{"type": "heatmap", "z": {"dtype": "f8", "bdata": "AAAAAAAA8D8AAAAAAAAAQA==", "shape": "1, 2"}}],
                "layout": {"title": {"text": "L0 H1"}}}
    assert figure_difference({"data": [{"type": "heatmap", "z": [[1.0, 2.0]]}], "title": "L0 H1"}, expected) is None
    assert "z differs" in figure_difference({"data": [{"type": "heatmap", "z": [[1.0, 3.0]]}], "title": "L0 H1"},
                                            expected)
    assert "title" in figure_difference({"data": [{"type": "heatmap", "z": [1, 2]}], "title": "L0 H0"}, expected)
    assert "trace" in figure_difference({"data": [], "title": "L0 H1"}, expected)
