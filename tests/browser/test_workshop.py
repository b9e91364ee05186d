"""Workshop mode in the browser (issue 11): every lesson step of every tab walked with the keyboard,
presenter mode at 1280 × 720, links that open a prepared view, stale links, and the keys.

Each step's state is read back from the page's controls and compared with what the lesson says,
coerced by the same rule the server checks lessons with (demos.workshop.coerce); one step per tab
is also checked in its figure, so a control that moved without its view redrawing would fail.
"""

from __future__ import annotations

import pytest

from demos import workshop
from tests.browser.pages import screenshot_dir, steady

pytestmark = pytest.mark.browser

READY = "[data-ready=true]"
STEP_DONE = """i => { const w = document.querySelector('.workshop-bar');
                      return w.dataset.applying === 'false' && w.dataset.step === String(i); }"""
STATE = "() => window.explainerWorkshop.state()"


def open_page(page, url: str) -> dict:
    page.goto(url)
    page.wait_for_selector(READY, state="attached", timeout=60_000)
    return page.evaluate("() => window.explainerWorkshop.data")


def notice(page) -> str:
    return page.inner_text(".workshop-bar .workshop-notice").strip()


def expected_values(data: dict, tab: str, view: str, settings: dict) -> dict:
    views = data["tabs"][tab]["views"]
    out = {}
    for name, value in settings.items():
        key, spec = workshop.find_control(views, view, name)
        out[key] = workshop.coerce(spec, value)
    return out


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-9
    return a == b


COLUMNS = "const cols = z => Array.isArray(z) ? z[0].length : Number(String(z && z.shape).split(',')[1]);"
FIGURE_CHECKS = {  # (tab, step index) -> a JS test on the visible figures that the step's values were drawn
    ("positional", 5): """() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.offsetParent !== null
        && p.data && p.data[0].type === 'heatmap' && (p.layout.annotations || []).length === 4)""",  # 4 heads, a tile each
    ("vae", 4): """() => { """ + COLUMNS + """ return [...document.querySelectorAll('.js-plotly-plot')].some(p => p.offsetParent !== null
        && p.data && p.data.some(t => t.type === 'heatmap' && cols(t.z) === 10 * 8 + 9 * 1)); }""",  # 10 images
}


def test_every_lesson_step_with_the_keyboard_in_presenter_mode(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    data = open_page(page, app_url + "?present=1")
    assert page.evaluate("() => document.body.classList.contains('present')")
    folder = screenshot_dir()
    walked = 0
    for tab, lesson in data["lessons"].items():
        page.locator(f"#{data['tabs'][tab]['elem']}-button").click()
        page.wait_for_function("t => window.explainerWorkshop.activeTab() === t", arg=tab)
        # the bar names the tab's lesson once it has seen the tab change (a moment after, on a busy machine)
        page.wait_for_function("t => document.querySelector('.workshop-bar').innerText.includes(t)",
                               arg=lesson["title"], timeout=15_000)
        for i, step in enumerate(lesson["steps"]):
            page.keyboard.press("ArrowRight")
            page.wait_for_function(STEP_DONE, arg=i, timeout=90_000)
            state = page.evaluate(STATE)
            where = f"{tab} step {i + 1} ({step['title']})"
            assert notice(page) == "", f"{where}: {notice(page)}"
            assert state["tab"] == tab and state["view"] == step["view"], where
            for key, value in expected_values(data, tab, step["view"], step["set"]).items():
                assert same(state["values"][key], value), f"{where}: {key} = {state['values'][key]!r}, not {value!r}"
            assert step["title"] in page.inner_text(".workshop-bar")
            if (tab, i) in FIGURE_CHECKS:
                page.wait_for_function(FIGURE_CHECKS[tab, i], timeout=60_000)
            walked += 1
        page.keyboard.press("ArrowLeft")  # back one step: the one before the last again
        page.wait_for_function(STEP_DONE, arg=len(lesson["steps"]) - 2, timeout=90_000)
        page.screenshot(path=str(folder / f"present-{tab}.png"))
    assert walked >= 5 * 5
    print(f"\n{walked} lesson steps walked; presenter screenshots: {folder}")
    assert page.errors == [], page.errors
    assert page.foreign == [], page.foreign


def test_a_prepared_link_opens_that_view(page, app_url):
    data = open_page(page, app_url + "?tab=vae&view=vae-interp&first_test_digit=5&images_per_strip=7")
    page.wait_for_function("() => window.explainerWorkshop.activeView() === 'vae-interp'")
    state = page.evaluate(STATE)
    assert state["values"]["first_test_digit"] == 5 and state["values"]["images_per_strip"] == 7
    assert state["values"]["second_test_digit"] == data["tabs"]["vae"]["views"]["vae-interp"]["controls"][
        "second_test_digit"]["default"]
    page.wait_for_function("() => { " + COLUMNS + """ return [...document.querySelectorAll('.js-plotly-plot')].some(
        p => p.offsetParent !== null && p.data && p.data.some(t => t.type === 'heatmap' && cols(t.z) === 7 * 8 + 6)); }""",
                           timeout=60_000)  # the strip was drawn with 7 images
    assert notice(page) == "" and page.errors == []
    page.goto("about:blank")  # leaving a page aborts its open requests, logged as errors: not the next page's
    page.errors.clear()
    data = open_page(page, app_url + "?tab=positional&step=5")  # the lesson, at its fifth step
    page.wait_for_function(STEP_DONE, arg=4, timeout=60_000)
    step = data["lessons"]["positional"]["steps"][4]
    assert page.evaluate(STATE)["view"] == step["view"] and step["title"] in page.inner_text(".workshop-bar")
    assert page.errors == []


def test_a_stale_link_falls_back_with_a_notice(page, app_url):
    open_page(page, app_url + "?tab=positional&view=alibi&number_of_heads=99&causal=1&colour=red")
    page.wait_for_function("() => document.querySelector('.workshop-notice').innerText.length > 0")
    text = notice(page)
    assert "Number of heads" in text and "outside" in text and "'colour'" in text
    state = page.evaluate(STATE)
    assert state["view"] == "alibi"
    assert state["values"]["number_of_heads"] == 8  # the default, kept
    assert state["values"]["causal"] is True  # what the link said that was valid was applied
    assert page.errors == []
    page.goto("about:blank")  # leaving a page aborts its open requests, which Gradio's client logs as errors
    page.errors.clear()  # (seen in CI when a view was still drawing): those belong to the page left, not the next
    open_page(page, app_url + "?tab=no_such_tab")
    page.wait_for_function("() => document.querySelector('.workshop-notice').innerText.includes('no_such_tab')")
    assert page.errors == []


def test_copy_link_round_trip(page, app_url, browser):
    open_page(page, app_url)
    page.locator("#tab-positional-button").click()
    page.locator("#tab-rope-button").click()
    box = page.get_by_label("number input for Query at m₁")
    box.fill("37")
    box.press("Enter")
    page.get_by_role("button", name="Copy link to this view").click()
    link = page.locator(".workshop-bar .link-box").input_value()
    assert "tab=positional" in link and "view=rope" in link and "query_at_m1=37" in link
    assert "number_of_heads" not in link  # only values that differ from the defaults, of this view
    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    other.goto(link)
    other.wait_for_selector(READY, state="attached", timeout=60_000)
    state = other.evaluate(STATE)
    other_notice = notice(other)
    other.context.close()
    assert state["view"] == "rope" and state["values"]["query_at_m1"] == 37, (link, state, other_notice)


def test_space_plays_and_pauses_r_resets(page, app_url):
    open_page(page, app_url)
    page.locator("#tab-gan-button").click()
    status = page.locator("#gan-status")
    page.keyboard.press(" ")  # Train / resume
    page.wait_for_function("() => /step [1-9]/i.test(document.querySelector('#gan-status').innerText)", timeout=60_000)
    page.keyboard.press(" ")  # Pause: the status stops changing (within seconds on a busy machine)
    paused = steady(page, status.inner_text, what="the GAN status line")
    page.wait_for_timeout(3000)
    assert status.inner_text() == paused, "training started again by itself"
    page.locator("#tab-positional-button").click()
    page.locator("#tab-alibi-button").click()
    heads = page.get_by_label("number input for Number of heads")
    heads.fill("3")
    heads.press("Enter")
    page.locator("body").click(position={"x": 5, "y": 5})  # focus out of the field: keys go to the page
    page.keyboard.press("r")
    page.wait_for_function("() => window.explainerWorkshop.state().values.number_of_heads === 8", timeout=30_000)
    assert page.errors == []
