"""The Positional tab's views: figures are valid Plotly, show what was computed, refuse bad input."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import positional
from explainer.figstyle import thinning_note, validated
from explainer.positional.catalog import RopeSettings, SinusoidalSettings
from explainer.positional.figures import alibi_tiles
from explainer.positional.views import alibi_view, rope_view, sinusoidal_view
from explainer.validate import InputError


def all_figures(view):
    return [v for v in vars(view).values() if isinstance(v, go.Figure)]


def test_sinusoidal_view_figures_hold_the_computed_table():
    view = sinusoidal_view(64, 32, 10000.0, "0, 5")
    for fig in all_figures(view):
        validated(fig)  # every property passes Plotly's validator
        assert fig.layout.title.text
    heat = view.heatmap.data[0]
    np.testing.assert_allclose(np.asarray(heat.z), positional.sinusoidal(64, 32), atol=1e-4)
    waves = view.waves.data
    assert [t.name.split()[1] for t in waves] == ["0", "5"]
    np.testing.assert_allclose(np.asarray(waves[1].y), positional.sinusoidal(64, 32)[:, 5], atol=1e-4)
    sim = np.asarray(view.similarity.data[0].z)
    pe = positional.sinusoidal(64, 32)
    np.testing.assert_allclose(sim, pe @ pe.T, atol=1e-3)
    a, b = (np.asarray(t.y) for t in view.offsets.data)
    np.testing.assert_allclose(a, b, atol=1e-3)  # similarity depends on the offset only


def test_large_tables_are_thinned_and_say_so():
    view = sinusoidal_view(2048, 1024, 10000.0, "0")
    heat = view.heatmap.data[0]
    assert np.asarray(heat.z).shape == (256, 256)
    assert "every 8th position and every 4th dimension shown" in view.heatmap.layout.title.text
    np.testing.assert_allclose(np.asarray(heat.z)[3, 5], positional.sinusoidal(2048, 1024)[24, 20], atol=1e-4)
    assert len(view.waves.data[0].y) == 2048  # the waves keep every position
    assert thinning_note((100, "row")) == ""


def test_rope_view_curves_coincide_and_rotation_keeps_the_radius():
    view = rope_view(16, 10000.0, 1, 12, 3, 250, 20, "independent random", 7)
    for fig in all_figures(view):
        validated(fig)
    first, second = view.scores.data
    assert first.name == "query at m = 3" and second.name == "query at m = 250"
    np.testing.assert_allclose(np.asarray(first.y), np.asarray(second.y), atol=1e-4)
    points = view.rotation.data[1]
    radii = np.hypot(np.asarray(points.x, dtype=float), np.asarray(points.y, dtype=float))
    np.testing.assert_allclose(radii, radii[0], rtol=1e-3)
    assert "θ = 0.3162" in view.rotation.layout.title.text  # θ_1 = 10000^(−2/16)


def test_rope_view_score_at_offset_zero_with_key_equal_query_is_the_squared_norm():
    view = rope_view(8, 10000.0, 0, 4, 0, 9, 3, "same as query", 0)
    q = np.random.default_rng(0).standard_normal(8)
    offsets = np.asarray(view.scores.data[0].x)
    assert float(np.asarray(view.scores.data[0].y)[offsets == 0][0]) == pytest.approx(q @ q, rel=1e-4)


def test_alibi_view_shows_every_head():
    view = alibi_view(6, 5, True)
    for fig in all_figures(view):
        validated(fig)
    np.testing.assert_allclose(np.asarray(view.slopes.data[0].y), positional.alibi_slopes(6))
    z = alibi_tile(view.biases, head=2, n_heads=6, seq_len=5)
    assert math.isnan(z[0, 4])  # the masked future is blank, not a number
    assert z[4, 0] == pytest.approx(-4 * positional.alibi_slopes(6)[2], abs=1e-3)


def alibi_tile(fig, *, head: int, n_heads: int, seq_len: int) -> np.ndarray:
    """One head's (T, T) tile of the ALiBi grid, cut out of the single heatmap."""
    cols, _, gap = alibi_tiles(n_heads, seq_len)
    (trace,) = fig.data
    r, c = divmod(head, cols)
    step = seq_len + gap
    return np.asarray(trace.z, dtype=float)[r * step: r * step + seq_len, c * step: c * step + seq_len]


@pytest.mark.parametrize("n_heads, seq_len, causal", [(1, 2, True), (6, 5, False), (13, 16, True), (32, 64, True)])
def test_every_alibi_tile_is_its_heads_bias_and_the_gaps_are_blank(n_heads, seq_len, causal):
    fig = alibi_view(n_heads, seq_len, causal).biases
    validated(fig)
    bias = positional.alibi_bias(n_heads, seq_len, causal=causal)
    z = np.asarray(fig.data[0].z, dtype=float)
    seen = np.zeros(z.shape, bool)
    for h in range(n_heads):
        tile = alibi_tile(fig, head=h, n_heads=n_heads, seq_len=seq_len)
        np.testing.assert_allclose(tile, np.where(np.isfinite(bias[h]), bias[h], np.nan), atol=1e-3)
        cols, _, gap = alibi_tiles(n_heads, seq_len)
        r, c = divmod(h, cols)
        seen[r * (seq_len + gap): r * (seq_len + gap) + seq_len, c * (seq_len + gap): c * (seq_len + gap) + seq_len] = True
    assert np.isnan(z[~seen]).all()  # nothing drawn between the tiles
    assert len(fig.layout.annotations) == n_heads  # each tile titled with its head and slope


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sinusoidal_view(16, 7, 10000, "0"), "d_model must be even"),
        (lambda: sinusoidal_view(0, 8, 10000, "0"), "Number of positions must be between 1 and 2048"),
        (lambda: sinusoidal_view(10**9, 8, 10000, "0"), "between 1 and 2048"),
        (lambda: sinusoidal_view(16, 8, float("nan"), "0"), "Base must be a finite number"),
        (lambda: sinusoidal_view(16, 8, 1.0, "0"), "Base must be in"),
        (lambda: sinusoidal_view(16, 8, 10000, "0, 1024"), "between 0 and 1023"),
        (lambda: sinusoidal_view(16, 8, 10000, ""), "is empty"),
        (lambda: sinusoidal_view(16, 8, 10000, "a, b"), "must be a number"),
        (lambda: sinusoidal_view("many", 8, 10000, "0"), "must be a number"),
        (lambda: rope_view(8, 10000, 10**6, 4, 0, 1, 3, "same as query", 0), "Pair i must be between 0 and"),
        (lambda: rope_view(8, 10000, 0, 4, 0, 1, 3, "sideways", 0), "Key vector must be one of"),
        (lambda: alibi_view(0, 8, True), "Number of heads"),
        (lambda: alibi_view(4, 8, "yes"), "Causal must be true or false"),
    ],
)
def test_bad_input_raises_a_message_that_says_what_to_change(call, message):
    with pytest.raises(InputError, match=message):
        call()


def _colorscales(fig):
    d = fig.to_dict()
    for holder in [*d["data"], *(t.get("marker", {}) for t in d["data"]), d["layout"].get("coloraxis", {})]:
        if "colorscale" in holder:
            yield holder["colorscale"]


def test_colour_scales_are_explicit_lists_that_plotly_js_understands():
    views = [sinusoidal_view(16, 8, 10000, "0"), rope_view(8, 10000, 0, 4, 0, 9, 3, "same as query", 0),
             alibi_view(3, 4, True)]
    scales = [s for v in views for fig in all_figures(v) for s in _colorscales(fig)]
    assert len(scales) >= 4
    assert all(isinstance(s, (list, tuple)) and s[0][0] == 0 for s in scales)  # no "RdBu_r"-style names


def test_reference_line_on_the_log_wavelength_axis_sits_at_the_sequence_length():
    fig = sinusoidal_view(128, 64, 10000, "0").wavelengths
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.shapes[0].y0 == 128  # plotly.js: shapes in data units on a log axis,
    assert fig.layout.annotations[0].y == pytest.approx(math.log10(128))  # annotations in log10 units


@pytest.mark.parametrize("d_model", range(2, 130, 2))
def test_the_default_wave_dimensions_work_for_every_d_model_the_slider_offers(d_model):
    """Issue 14: d_model = 16 with the default dims "0, 1, 6, 7, 32" gave five error boxes."""
    s = SinusoidalSettings()
    view = sinusoidal_view(s.n_positions, d_model, s.base, s.dims)
    drawn = [int(t["name"].split()[1]) for t in view.waves.to_dict()["data"]]
    asked = [int(x) for x in s.dims.split(",")]
    assert drawn == ([k for k in asked if k < d_model] or [0, 1])
    left_out = [k for k in asked if k >= d_model]
    if left_out:
        assert f"d_model = {d_model}" in view.notice and all(str(k) in view.notice for k in left_out)
    else:
        assert view.notice == ""
    for fig in all_figures(view):
        validated(fig)


def test_32_alibi_heads_fit_one_screen_on_one_shared_colour_scale():
    """Issue 14: 32 heads were 8 rows of 4 (a 2,600-pixel wall); now 4 rows of 8."""
    fig = alibi_view(32, 16, True).biases
    d = fig.to_dict()
    assert d["layout"]["height"] <= 700
    assert [t["coloraxis"] for t in d["data"]] == ["coloraxis"]  # one heatmap, one scale for every head
    assert d["layout"]["coloraxis"]["cmin"] == pytest.approx(-positional.alibi_slopes(32)[0] * 15, rel=1e-6)
    assert alibi_tiles(32, 16)[:2] == (8, 4)
    tops = sorted({a["y"] for a in d["layout"]["annotations"]})
    assert len(tops) == 4


def test_every_pair_the_slider_offers_draws_at_every_head_dimension():
    """The pair slider spans the largest d; at a smaller d the view clips to its last pair and says so."""
    s = RopeSettings()
    for d in (2, 8, 64):
        for pair in (0, d // 2 - 1, d // 2, s.max_head_dim // 2 - 1):
            title = rope_view(d, 10000, pair, 8, 0, 1, 3, "same as query", 0).rotation.layout.title.text
            shown = min(pair, d // 2 - 1)
            assert title.startswith(f"Pair {shown} turns")
            assert (f"pair {pair} does not exist at d = {d}" in title) == (pair != shown)
