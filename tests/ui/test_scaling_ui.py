"""The Attention tab's Scaling laws sub-tab through gradio_client: the view by api_name, a run
trained live joins this visitor's fit only, and bad input (budget 0, an unknown size, no tokens)
is refused with a message naming the control."""

from __future__ import annotations

import re

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.ui.plotly_json import figure


def fitted_alpha(summary: str) -> float:
    row = next(line for line in summary.splitlines() if line.startswith("| our fit"))
    return float(row.split("|")[5])


def test_view_fits_the_shipped_runs_and_draws_three_figures(client):
    summary, by_size, isoflop, optimal = client.predict(11.0, api_name="/scaling")
    assert "our fit (20 runs)" in summary and "Chinchilla" in summary and "0.34" in summary
    assert re.search(r"N ≈ [\d,]+\*\* parameters on \*\*D ≈ [\d,]+\*\* tokens", summary)
    dots = [t for t in figure(by_size)["data"] if t.get("mode") == "markers"]
    assert sum(len(t["x"]) for t in dots) == 20  # every shipped run, one dot each
    assert any("star" in str(t.get("marker", {}).get("symbol")) for t in figure(isoflop)["data"])
    names = [t["name"] for t in figure(optimal)["data"]]
    assert "N_opt, our fit" in names and "D_opt, Chinchilla" in names


@pytest.mark.parametrize("budget", [0, 7.9, 16.5])
def test_a_budget_outside_the_range_is_refused(client, budget):
    with pytest.raises(AppError, match="Compute budget"):
        client.predict(budget, api_name="/scaling")


def test_a_live_run_joins_this_visitors_fit_only(client, app_url):
    before = client.predict(11.0, api_name="/scaling")[0]
    status, summary, *_ = client.predict("16x1", 20_000, 11.0, api_name="/scaling_train")  # (the State is not sent)
    assert "Your run" in status and "our fit (20 runs + 1 trained here)" in summary
    assert fitted_alpha(summary) != fitted_alpha(before) or summary != before
    other = Client(app_url, verbose=False)  # another visitor still sees the shipped fit alone
    assert "our fit (20 runs)" in other.predict(11.0, api_name="/scaling")[0]


@pytest.mark.parametrize("size, tokens, match", [
    ("96x3", 20_000, "Model for one more run"),  # too big to train live: not among the choices
    ("16x1", 0, "Tokens for one more run"),
    ("16x1", 10**9, "Tokens for one more run"),
])
def test_bad_live_runs_are_refused(client, size, tokens, match):
    with pytest.raises(AppError, match=match):
        client.predict(size, tokens, 11.0, api_name="/scaling_train")
