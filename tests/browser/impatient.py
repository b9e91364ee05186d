"""The impatient user (issue 14): a seeded, time-bounded burst of keyboard presses and clicks on
one tab of the running app, and readers for what the page is left showing.

Nothing names a tab or a control. The tabs, the buttons that start a stream (and the buttons
that cancel one), plot labels and the events drawing each plot come from the app's ``/config``;
controls are found in the DOM by Gradio 6's own markup: range inputs, comboboxes and their
``li[data-testid=dropdown-option]``, radio / checkbox labels, ``button.lg|md|sm``, accordion
``button.label-wrap``, nested ``button[role=tab]``. A pending output is a
``[data-testid=status-tracker]`` without the ``hide`` class and without the error badge
(``.clear-status``), as gradio/templates/frontend/assets/statustracker-*.js renders it.
"""

from __future__ import annotations

import json
import random
import time
import urllib.request
from dataclasses import dataclass, field

from playwright.sync_api import Error as PlaywrightError

NOT_COUNTED = ("/heartbeat/", "/file=", "/upload")  # the session's keep-alive and static files
TOP_PANEL = "[role=tabpanel]:visible"  # the first visible panel in document order is the open top-level tab
SELECTORS = {  # what an impatient person can press, inside the open tab (plain CSS: one querySelectorAll each)
    "slider": "input[data-testid=range-input]:not([disabled])",
    "dropdown": "input[role=combobox]:not([disabled])",
    "radio": "label:has(> input[type=radio]:not([disabled]))",
    "checkbox": "label:has(> input[type=checkbox]:not([disabled]))",
    "button": "button:is(.lg, .md, .sm):not([disabled])",
    "accordion": "button.label-wrap",
    "subtab": "button[role=tab]:not(.selected):not([disabled])",
}
WEIGHTS = {"slider": 6, "dropdown": 2, "radio": 2, "checkbox": 1, "button": 2, "accordion": 1, "subtab": 1}
TOASTS = """
window.__toasts = [];
new MutationObserver(() => {
  for (const t of document.querySelectorAll('[data-testid=toast-body]')) {
    if (t.__seen) continue;
    t.__seen = true;
    const kind = ['error', 'warning', 'info', 'success'].find(c => t.classList.contains(c)) || '';
    window.__toasts.push(kind + ': ' + t.textContent.replace(/\\s+/g, ' ').replace('×', '').trim());
  }
}).observe(document, {childList: true, subtree: true});
"""
SCOPE_JS = """() => [...document.querySelectorAll('[role=tabpanel]')].find(
    p => p.offsetParent !== null && !p.parentElement.closest('[role=tabpanel]'))"""
CONTROLS_JS = f"""(selectors) => {{
  const scope = ({SCOPE_JS})();
  const out = {{}};
  document.querySelectorAll('[data-impatient]').forEach(e => e.removeAttribute('data-impatient'));
  if (!scope) return out;
  let n = 0;
  for (const [kind, css] of Object.entries(selectors)) {{
    out[kind] = [];
    for (const e of scope.querySelectorAll(css)) {{
      if (e.getClientRects().length === 0) continue;
      e.setAttribute('data-impatient', String(n));
      const name = e.getAttribute('aria-label') || e.textContent.replace(/\\s+/g, ' ').trim();
      out[kind].push([n++, name.replace('range slider for ', '').slice(0, 60)]);
    }}
  }}
  return out;
}}"""
PENDING_JS = f"""() => {{
  const scope = ({SCOPE_JS})();
  if (!scope) return ['(no open tab)'];
  return [...scope.querySelectorAll('[data-testid=status-tracker]')]
    .filter(t => !t.classList.contains('hide') && !t.querySelector('.clear-status, .error'))
    .filter(t => t.getClientRects().length > 0)
    .map(t => {{
      const b = t.closest('.block');
      const name = b && b.querySelector('[data-testid=block-label], [data-testid=block-info]');
      return (name && name.textContent.trim()) || (b ? b.className.split(' ')[0] || 'block' : 'output');
    }});
}}"""
PLOTS_JS = f"""() => {{
  const scope = ({SCOPE_JS})();
  if (!scope) return [];
  const plain = (k, v) => ArrayBuffer.isView(v) ? Array.from(v) : v;
  return [...scope.querySelectorAll('.js-plotly-plot')].filter(p => p.getClientRects().length > 0).map(p => {{
    const b = p.closest('.block');
    const label = b && b.querySelector('[data-testid=block-label]');
    const t = (p.layout || {{}}).title;
    const title = typeof t === 'string' ? t : (t && t.text) || '';
    return {{label: label ? label.textContent.trim() : '', figure: JSON.stringify({{data: p.data || [], title}}, plain)}};
  }});
}}"""
VALUES_JS = f"""(wanted) => {{
  const scope = ({SCOPE_JS})();
  const out = {{}};
  if (!scope) return out;
  const shown = e => e.getClientRects().length > 0;
  const blocks = label => [...scope.querySelectorAll('.block')].filter(shown).filter(b => {{
    const info = b.querySelector('[data-testid=block-info]');
    return info && info.textContent.trim() === label;
  }});
  for (const w of wanted) {{
    let v = null, found = [];
    if (w.type === 'slider') {{
      found = [...scope.querySelectorAll('input[data-testid=number-input]')].filter(shown)
        .filter(e => e.getAttribute('aria-label') === 'number input for ' + w.label);
      if (found.length === 1) v = Number(found[0].value);
    }} else if (w.type === 'dropdown') {{
      found = [...scope.querySelectorAll('input[role=combobox]')].filter(shown)
        .filter(e => e.getAttribute('aria-label') === w.label);
      if (found.length === 1) v = found[0].value;
    }} else if (w.type === 'checkbox') {{
      found = [...scope.querySelectorAll('label:has(> input[type=checkbox])')].filter(shown)
        .filter(l => l.textContent.trim() === w.label);
      if (found.length === 1) v = found[0].querySelector('input').checked;
    }} else if (w.type === 'radio' || w.type === 'checkboxgroup') {{
      found = blocks(w.label);
      if (found.length === 1) {{
        const picked = [...found[0].querySelectorAll('label.selected input')]
          .map(i => w.type === 'radio' ? i.value : (i.name || i.title));  // a group's boxes are named by choice
        v = w.type === 'radio' ? (picked[0] ?? null) : picked;
      }}
    }} else if (w.type === 'textbox' || w.type === 'number') {{
      found = blocks(w.label);
      const box = found.length === 1 && found[0].querySelector('textarea, input');
      if (box) v = w.type === 'number' ? Number(box.value) : box.value;
    }}
    if (found.length === 1 && v !== null) out[w.id] = v;
  }}
  return out;
}}"""


@dataclass
class Record:
    """What the page did: console errors, /gradio_api/ requests and the values each event sent."""

    errors: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # (monotonic time, path, fn_index or None)
    sent: dict = field(default_factory=dict)  # component id -> last value the page sent for it
    joined: dict = field(default_factory=dict)  # fn_index -> monotonic time of its last join

    def on_request(self, request, inputs_of) -> None:
        url = request.url
        if "/gradio_api/" not in url or any(part in url for part in NOT_COUNTED):
            return
        fn_index = None
        if "/queue/join" in url and request.post_data:
            body = json.loads(request.post_data)
            fn_index = body.get("fn_index")
            self.joined[fn_index] = time.monotonic()
            for cid, value in zip(inputs_of(fn_index), body.get("data") or []):
                self.sent[cid] = value
        self.requests.append((time.monotonic(), url.split("/gradio_api/", 1)[1][:60], fn_index))


class AppMap:
    """The app's /config, read for what the tests need."""

    def __init__(self, app_url: str):
        with urllib.request.urlopen(app_url.rstrip("/") + "/config", timeout=30) as response:
            self.config = json.load(response)
        self.components = {c["id"]: c for c in self.config["components"]}
        self.deps = {d["id"]: d for d in self.config["dependencies"]}
        self.parent: dict[int, int] = {}
        self.order: list[int] = []
        stack = [self.config["layout"]]
        while stack:  # depth first, in layout order
            node = stack.pop()
            self.order.append(node["id"])
            for child in reversed(node.get("children", [])):
                self.parent[child["id"]] = node["id"]
                stack.append(child)

    def kind(self, cid: int) -> str:
        return self.components.get(cid, {}).get("type", "")  # the root (the Blocks itself) is not listed

    def label(self, cid: int) -> str:
        props = self.components.get(cid, {}).get("props", {})
        return str(props.get("label") or props.get("value") or "")

    def ancestors(self, cid: int) -> list[int]:
        chain = []
        while cid in self.parent:
            cid = self.parent[cid]
            chain.append(cid)
        return chain

    def top_tabs(self) -> list[tuple[int, str]]:
        """(id, label) of each tab of the outermost gr.Tabs, in order."""
        items = [c for c in self.order if self.kind(c) == "tabitem"
                 and not any(self.kind(a) == "tabitem" for a in self.ancestors(c))]
        return [(c, self.label(c)) for c in items if self.components[c]["props"].get("visible") is not False]

    def inside(self, tab_id: int, kind: str) -> list[int]:
        return [c for c in self.order if self.kind(c) == kind and tab_id in self.ancestors(c)]

    def inputs_of(self, fn_index) -> list[int]:
        return self.deps[fn_index]["inputs"] if fn_index in self.deps else []

    def streams(self) -> dict[str, list[str]]:
        """Text of each button starting a generator event -> texts of the buttons cancelling it."""
        found: dict[str, list[str]] = {}
        for dep in self.deps.values():
            if not dep["types"]["generator"]:
                continue
            cancellers = [self.label(t[0]) for d in self.deps.values() if dep["id"] in (d.get("cancels") or [])
                          for t in d["targets"] if t[0] is not None and self.kind(t[0]) == "button"]
            for target, _ in dep["targets"]:
                if target is not None and self.kind(target) == "button":
                    found[self.label(target).strip()] = [c.strip() for c in cancellers]
        return found

    def producers(self, plot_id: int) -> list[dict]:
        """Events that can redraw this plot and be called directly: a Python function, not a stream,
        no gr.State input (its value lives in the server session), callable through the API."""
        return [d for d in self.deps.values() if plot_id in d["outputs"] and d["backend_fn"]
                and not d["types"]["generator"] and d.get("api_visibility") != "private"
                and not any(self.kind(i) == "state" for i in d["inputs"])]

    def choice_value(self, cid: int, shown):
        """A dropdown / radio / checkbox group shows labels, events receive values; None when a label
        shown is not among the choices the app was built with (they were replaced at run time)."""
        pairs = {str(label): value for label, value in self.components[cid]["props"].get("choices") or []}
        shown_list = shown if isinstance(shown, list) else [shown]
        if any(s not in pairs for s in shown_list):
            return None
        values = [pairs[s] for s in shown_list]
        return values if isinstance(shown, list) else values[0]


def open_page(browser, app_url: str, amap: AppMap, width: int = 1400, height: int = 1000):
    """A fresh page (own context, own session) that records errors, requests and sent values."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.add_init_script(TOASTS)
    record = Record()
    page.on("console", lambda m: record.errors.append(f"console.{m.type}: {m.text[:300]}") if m.type == "error" else None)
    page.on("pageerror", lambda e: record.errors.append(f"page error: {str(e)[:300]}"))
    page.on("request", lambda r: record.on_request(r, amap.inputs_of))
    page.goto(app_url)
    page.get_by_role("tab").first.wait_for(timeout=60_000)
    return page, record


def controls(page) -> dict[str, list]:
    """The open tab's visible controls by kind, as [tag, name], each element tagged data-impatient=tag.

    One page.evaluate: Playwright's :visible / :has engine took seconds per query while the page
    redrew its plots, and a busy page answers every query late."""
    return page.evaluate(CONTROLS_JS, SELECTORS)


def act(page, rng: random.Random, streams: dict[str, list[str]], present: dict[str, list]) -> tuple[str, str]:
    """One impatient action on one of the ``present`` controls; returns (its kind, what was done)."""
    kinds = [k for k in WEIGHTS if present.get(k)]
    if not kinds:
        return "", ""
    kind = rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
    tag, name = rng.choice(present[kind])
    element = page.locator(f'[data-impatient="{tag}"]')
    pause = lambda: page.wait_for_timeout(rng.uniform(30, 80))  # noqa: E731 - 30-80 ms between key presses
    if kind == "slider":
        element.focus(timeout=2500)
        keys = [rng.choice(["ArrowRight", "ArrowLeft"]) for _ in range(rng.randint(3, 8))]
        for key in keys:
            page.keyboard.press(key)
            pause()
        return kind, f"slider {name!r} " + "".join("→" if k == "ArrowRight" else "←" for k in keys)
    if kind == "dropdown":
        element.click(timeout=2500)
        options = page.locator("li[data-testid=dropdown-option]:visible")
        n = options.count()
        if not n:
            page.keyboard.press("Escape")
            return kind, f"dropdown {name!r} (no options)"
        option = options.nth(rng.randrange(n))
        text = option.inner_text(timeout=2500).replace("✓", "").strip()
        option.click(timeout=2500)
        return kind, f"dropdown {name!r} → {text!r}"
    if kind == "button" and streams.get(name):  # starts a stream that a button can stop: stop it soon
        element.click(timeout=2500)
        page.wait_for_timeout(rng.uniform(300, 1000))
        stop = rng.choice(streams[name])
        page.locator(TOP_PANEL).first.locator("button").filter(has_text=stop).first.click(timeout=2000)
        return kind, f"button {name!r}, then {stop!r}"
    element.click(timeout=2500)
    return kind, f"{kind} {name[:40]!r}"


def impatient_burst(page, rng: random.Random, seconds: float, streams: dict[str, list[str]], *,
                    min_actions: int = 6, max_seconds: float = 12.0) -> list[str]:
    """Actions 30-80 ms apart for ``seconds`` (longer, up to ``max_seconds``, while fewer than
    ``min_actions`` were done: a busy page answers slowly); returns the log of what was done.
    The list of controls is read again after anything but a slider (which changes no control)."""
    log, start, present = [], time.monotonic(), None
    while True:
        elapsed = time.monotonic() - start
        done_ok = sum(not entry.startswith("(missed") for entry in log)
        if elapsed >= max_seconds or (elapsed >= seconds and done_ok >= min_actions):
            break
        present = present or controls(page)
        try:
            kind, done = act(page, rng, streams, present)
        except PlaywrightError as exc:  # the element re-rendered under the pointer: go on
            kind, done = "", f"(missed: {str(exc).splitlines()[0][:80]})"
        if done:
            log.append(done)
        else:
            page.wait_for_timeout(200)  # nothing to press (yet)
        present = present if kind == "slider" else None
        page.wait_for_timeout(rng.uniform(30, 80))
    page.mouse.click(2, 2)  # leave no dropdown open or slider focused
    return log


def pending_outputs(page) -> list[str]:
    return page.evaluate(PENDING_JS)


def toasts(page) -> list[str]:
    return page.evaluate("() => window.__toasts || []")


def shown_plots(page) -> list[dict]:
    """Each visible plot of the open tab: its label and the figure the browser holds."""
    return [{"label": p["label"], "figure": json.loads(p["figure"])} for p in page.evaluate(PLOTS_JS)]


def shown_values(page, amap: AppMap, inputs: list[int]) -> dict[int, object]:
    """The values the open tab's controls show now, for those found unambiguously by label."""
    wanted = [{"id": i, "type": amap.kind(i), "label": amap.label(i)} for i in inputs if amap.label(i)]
    values = {}
    for key, shown in page.evaluate(VALUES_JS, wanted).items():
        cid = int(key)
        if amap.kind(cid) in ("dropdown", "radio", "checkboxgroup"):
            shown = amap.choice_value(cid, shown)
            if shown is None:
                continue  # a choice set at run time (labels ≠ values): the value the page last sent is used
        values[cid] = shown
    return values
