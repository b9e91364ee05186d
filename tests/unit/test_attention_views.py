"""The Attention tab's views: valid figures that hold exactly what the model computed, checked
against recomputations from Q, K and V; bertviz pages that need no network; clear refusals."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from explainer.attention import (
    DECODER,
    bertviz_offline,
    heads_off,
    learned_positions,
    load_model,
    predict_next,
    run_text,
    softmax1,
)
from explainer.attention import views as V
from explainer.figstyle import validated
from explainer.attention.learned_views import LearnedSettings, learned_view
from explainer.validate import InputError
from tests.helpers import make_tiny_bert

ENC, DEC, REV = V.SHIPPED  # the labels a person picks
SENTENCES = {ENC: "the dogs that the girl sees [MASK] .", DEC: "when alice meets bob in the park ,", REV: "31415926"}
CATALOG = V.Catalog()


def outputs(view) -> list:
    return [getattr(view, name) for name in view.__dataclass_fields__]


def figures_of(view) -> list:
    return [v for v in outputs(view) if hasattr(v, "to_json")]


def ys(trace) -> np.ndarray:
    return np.asarray(trace.y, dtype=float)


@pytest.mark.parametrize("model", [ENC, DEC, REV])
def test_every_view_gives_valid_titled_figures(model):
    text, layer, head = SENTENCES[model], 0, 1
    views = [
        V.attention_view(CATALOG, model, text, layer, head),
        V.steps_view(CATALOG, model, text, layer, head, None),
        V.softmax1_view(CATALOG, model, text, layer, head, None),
        V.temperature_view(CATALOG, model, text, layer, head, 0.5, 5),
        V.ablation_view(CATALOG, model, text, ["L0H0"], 5),
    ]
    for view in views:
        for fig in figures_of(view):
            validated(fig)  # every property passes Plotly's validator
            assert fig.layout.title.text
            text = fig.to_json()
            assert "Infinity" not in text and "NaN" not in text  # masked −inf never reaches the browser
            for trace in fig.data:
                for key in ("x", "y", "z"):
                    values = getattr(trace, key, None)
                    if values is not None and np.asarray(values).dtype.kind == "f":
                        assert np.isfinite(np.asarray(values)).all()


def test_heatmap_and_grid_hold_run_texts_attention():
    view = V.attention_view(CATALOG, DEC, SENTENCES[DEC], 1, 2)
    run = run_text(load_model(DECODER), SENTENCES[DEC])
    np.testing.assert_allclose(np.asarray(view.heatmap.data[0].z), run.attention[1, 2], atol=1e-3)
    assert [t.replace("\u200b", "") for t in view.heatmap.data[0].y] == list(run.tokens)
    assert view.heatmap.data[0].colorbar.title.text == "attention weight (0–1)"
    assert view.heatmap.layout.xaxis.title.text.startswith("key token")
    assert view.heatmap.layout.yaxis.title.text.startswith("query token")
    assert "before the verb" in view.heatmap.layout.title.text or "Layer 1, head 2" in view.heatmap.layout.title.text
    grid = view.grid.data
    assert len(grid) == 8  # 2 layers × 4 heads
    for n, trace in enumerate(grid):
        np.testing.assert_allclose(np.asarray(trace.z), run.attention[n // 4, n % 4], atol=1e-3)
    assert "query %{y} → key %{x}" in grid[0].hovertemplate


def test_repeated_tokens_keep_their_own_columns():
    view = V.attention_view(CATALOG, ENC, "the dogs that the girl sees [MASK] .", 0, 0)
    labels = list(view.heatmap.data[0].x)
    assert len(set(labels)) == len(labels) == 10 and labels.count("the") == 1 and "the\u200b" in labels


def test_step_through_equals_a_recomputation_from_q_k_and_v():
    model, text, layer, head, query = DEC, "the dogs that the girl sees", 1, 2, 3
    view = V.steps_view(CATALOG, model, text, layer, head, query)
    sc = run_text(load_model(DECODER), text).scores
    q, k, v = sc.q[layer, head, query], sc.k[layer, head], sc.v[layer, head]  # (d_k,), (T, d_k), (T, d_k)
    raw_bars, scaled_bars, masked_bars, weight_bars = view.steps.data
    raw = k @ q  # q·k_j for every key j
    np.testing.assert_allclose(ys(raw_bars), raw, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(ys(scaled_bars), raw / math.sqrt(q.shape[0]), rtol=1e-3, atol=1e-3)
    future = np.arange(len(raw)) > query
    assert [t == "masked" for t in masked_bars.text] == list(future)  # shown as masked, not as a number
    assert np.all(ys(masked_bars)[future] == 0)
    logits = torch.from_numpy(raw / math.sqrt(q.shape[0])).masked_fill(torch.from_numpy(future), float("-inf"))
    np.testing.assert_allclose(ys(weight_bars), torch.softmax(logits, -1).numpy(), atol=1e-3)
    np.testing.assert_allclose(ys(weight_bars), sc.weights[layer, head, query], atol=1e-4)
    contributions, output = view.mix.data
    w = sc.weights[layer, head, query]
    np.testing.assert_allclose(np.asarray(contributions.z), w[:, None] * v, atol=1e-3)
    np.testing.assert_allclose(np.asarray(output.z)[0], (w[:, None] * v).sum(0), atol=1e-3)
    np.testing.assert_allclose(np.asarray(output.z)[0], sc.mixed[layer, head, query], atol=1e-3)
    assert "4 of 7 keys are visible" in view.explanation


def test_softmax1_rows_sum_to_at_most_one_and_match_the_formula():
    view = V.softmax1_view(CATALOG, DEC, SENTENCES[DEC], 1, 0, 2)
    _, soft_sums, soft1_bars, soft1_sums = view.comparison.data
    np.testing.assert_allclose(ys(soft_sums), 1.0, atol=1e-3)
    assert np.all(ys(soft1_sums) <= 1.0 + 1e-6) and ys(soft1_sums).min() < 0.999
    logits = run_text(load_model(DECODER), SENTENCES[DEC]).scores.logits[1, 0, 2]  # row of query 2, −inf beyond
    e = np.exp(logits[np.isfinite(logits)].astype(np.float64))
    expected = np.zeros_like(logits, dtype=np.float64)
    expected[np.isfinite(logits)] = e / (1 + e.sum())  # exp(x_i) / (1 + Σ exp(x_j))
    np.testing.assert_allclose(ys(soft1_bars), expected, atol=1e-3)
    np.testing.assert_allclose(expected, softmax1(torch.from_numpy(logits)).numpy(), atol=1e-6)
    assert "attention paid to nothing" in view.summary


def test_ablation_figure_shows_the_changed_probabilities():
    view = V.ablation_view(CATALOG, DEC, SENTENCES[DEC], ["L0H3"], 5)
    before, after = view.prediction.data
    assert before.name == "as trained" and after.name == "without L0H3"
    words = list(before.x)
    decoder = load_model(DECODER)
    with_all = predict_next(decoder, SENTENCES[DEC], candidates=["alice"]).guesses[0].candidates["alice"]
    without = predict_next(decoder, SENTENCES[DEC], candidates=["alice"],
                           head_mask=heads_off(decoder, [(0, 3)])).guesses[0].candidates["alice"]
    i = words.index("alice")
    assert ys(before)[i] == pytest.approx(with_all, abs=1e-3) and ys(after)[i] == pytest.approx(without, abs=1e-3)
    assert with_all - without > 0.5  # the head that copies the name: switched off, the name is lost
    assert "alice" in view.summary


def test_every_preset_ticks_heads_that_change_the_prediction():
    from demos.attention import PRESETS

    for task, model in (("masked", ENC), ("next_token", DEC), ("reverse", REV)):
        for preset in PRESETS[task]:
            before, after = V.ablation_view(CATALOG, model, preset.text, list(preset.off), 5).prediction.data
            assert np.abs(ys(before) - ys(after)).max() > 0.2, (task, preset.name)


def test_temperature_sharpens_the_pattern():
    view = V.temperature_view(CATALOG, ENC, SENTENCES[ENC], 0, 0, 0.2, 5)
    as_trained, sharp = (np.asarray(t.z) for t in view.patterns.data)
    assert sharp.max(axis=1).mean() > as_trained.max(axis=1).mean()
    assert [t.name for t in view.prediction.data] == ["as trained", "τ = 0.2"]


def test_unknown_words_are_shown_not_dropped():
    view = V.attention_view(CATALOG, ENC, "the zebra that the girl sees [MASK] .", 0, 0)
    assert "Not in the vocabulary" in view.tokens and "zebra" in view.tokens and "[UNK]" in view.tokens


def test_bertviz_pages_use_only_the_apps_own_files():
    base = "explainer/vendor/"
    view = V.bertviz_view(CATALOG, ENC, SENTENCES[ENC], base)
    for html in (view.head_view, view.model_view):
        assert html.startswith("<iframe") and "srcdoc=" in html
        assert not re.search(r"https?:", html), re.search(r".{40}https?:.{60}", html)
        for cdn in ("cdnjs", "d3js.org", "require.js", "require.min.js", "jquery.com"):
            assert cdn not in html
        for name in bertviz_offline.VENDOR_FILES:
            assert html.count(base + name) == 1
        assert "height:" in html
    from demos.figure_tools import VENDOR

    for name in bertviz_offline.VENDOR_FILES:
        assert (VENDOR / name).is_file()
    assert (VENDOR / "d3.v5.min.js").read_text()[:60].startswith("// https://d3js.org v5.7.0")
    assert "jQuery v3" in (VENDOR / "jquery.min.js").read_text()[:80]


def test_bertviz_escapes_tokens_that_would_close_the_script():
    attention = np.full((1, 1, 2, 2), 0.5)
    page = bertviz_offline.head_view(attention, ["</script><b>", "x"], script_base="files/")
    body = page.document.split("<body>", 1)[1]
    assert "</script><b>" not in body and "<\\/script><b>" in body
    assert page.height > 75


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: V.attention_view(CATALOG, ENC, "", 0, 0), "empty"),
        (lambda: V.attention_view(CATALOG, ENC, "   ", 0, 0), "empty"),
        (lambda: V.attention_view(CATALOG, ENC, "the dog runs " * 20, 0, 0), "at most 30"),
        (lambda: V.attention_view(CATALOG, ENC, "x" * 5000, 0, 0), "at most 600"),
        (lambda: V.attention_view(CATALOG, "gpt-5", "the dog", 0, 0), "Unknown model"),
        (lambda: V.attention_view(CATALOG, "/etc/passwd", "the dog", 0, 0), "Unknown model"),
        (lambda: V.attention_view(CATALOG, ENC, "the dog", 2, 0), "Layer must be between 0 and 1"),
        (lambda: V.attention_view(CATALOG, REV, "31415926", 0, 2), "Head must be between 0 and 1"),
        (lambda: V.attention_view(CATALOG, REV, "3141", 0, 0), "exactly 8 digits"),
        (lambda: V.steps_view(CATALOG, ENC, "the dog runs .", 0, 0, 9), "Query token must be between 0 and 5"),
        (lambda: V.ablation_view(CATALOG, ENC, SENTENCES[ENC], ["L0H1"], 0), "top-k must be between 1"),
        (lambda: V.ablation_view(CATALOG, ENC, SENTENCES[ENC], ["head one"], 5), "look like 'L0H1'"),
        (lambda: V.ablation_view(CATALOG, ENC, SENTENCES[ENC], ["L7H0"], 5), "between 0 and 1"),
        (lambda: V.temperature_view(CATALOG, ENC, SENTENCES[ENC], 0, 0, float("nan"), 5), "finite number"),
        (lambda: V.temperature_view(CATALOG, ENC, SENTENCES[ENC], 0, 0, 0.0, 5), "temperature"),
        (lambda: V.fill_view(CATALOG, "the dog runs .", 5), "Put [MASK]"),
        (lambda: V.generate_view(CATALOG, "when alice", 500, 1.0, 0, 1.0, 0), "max new tokens"),
        (lambda: learned_view("my own table", "31415926", 0), "Table must be one of"),
    ],
)
def test_bad_inputs_are_refused_with_what_to_change(call, message):
    with pytest.raises(InputError, match=re.escape(message)):
        call()


def test_encoder_without_mask_explains_instead_of_failing():
    view = V.ablation_view(CATALOG, ENC, "the dogs run .", ["L0H1"], 5)
    assert "Put [MASK] in the text" in view.summary and view.prediction.layout.annotations


def test_fill_and_generate():
    fill = V.fill_view(CATALOG, "the [MASK] that the girls see [MASK] .", 3)
    assert len(fill.figure.data) == 2 and all(len(t.y) == 3 for t in fill.figure.data)
    a = V.generate_view(CATALOG, "when alice meets bob", 10, 1.0, 0, 1.0, 7)
    b = V.generate_view(CATALOG, "when alice meets bob", 10, 1.0, 0, 1.0, 7)
    assert a.text == b.text and a.text.startswith("when alice meets bob **")
    np.testing.assert_allclose(ys(a.figure.data[0]), ys(b.figure.data[0]))


def test_head_table_has_every_measured_label():
    rows = V.heads_view(CATALOG, DEC).rows
    assert len(rows) == 8 and rows[3][0] == "L0H3" and "repeated name" in rows[3][1]


def test_learned_view_shows_the_table_the_comparison_and_the_shuffle():
    view = learned_view("reversal model (10 positions)", "31415926", 0)
    validated(view.table)
    validated(view.similarity)
    table = learned_positions(load_model("attention_positions_learned"))
    np.testing.assert_allclose(np.asarray(view.table.data[0].z), table, atol=1e-3)
    learned_sim, _ = (np.asarray(t.z) for t in view.similarity.data)
    np.testing.assert_allclose(np.diag(learned_sim), 1.0, atol=1e-3)
    for scheme in ("none", "sinusoidal", "learned", "rope", "alibi"):
        assert f"| {scheme} |" in view.comparison
    assert "distance" in view.comparison and "direction" in view.comparison
    assert "| no positions |" in view.equivariance and "| yes |" in view.equivariance
    assert "| learned positions |" in view.equivariance and "| no |" in view.equivariance
    assert "identical after unshuffling" in view.equivariance
    assert LearnedSettings().table in dict(LearnedSettings.tables)


def test_learned_view_asks_for_its_models_on_the_device_it_is_given(monkeypatch):
    """The Positional tab passes the app's device: every model the view reads is loaded for that device."""
    from explainer.attention import catalog

    asked, real = [], catalog.shipped

    def recording(name, device="cpu"):
        asked.append((name, device))
        return real(name)  # the weights on the CPU: this machine may have no GPU; only the request is checked

    monkeypatch.setattr(catalog, "shipped", recording)
    learned_view("reversal model (10 positions)", "31415926", 0)
    assert asked and {device for _, device in asked} == {"cpu"}  # the default
    asked.clear()
    learned_view("encoder (32 positions)", "31415926", 0, device=torch.device("cuda", 1))
    assert {name for name, _ in asked} == {"attention_encoder", "attention_positions_none",
                                          "attention_positions_learned"}
    assert {device for _, device in asked} == {"cuda:1"}  # a string: the cache key the Attention tab's Catalog uses


@pytest.mark.gpu
def test_learned_view_on_cuda_runs_there_and_matches_the_cpu():
    from explainer.attention.catalog import shipped

    gpu, cpu = (learned_view("reversal model (10 positions)", "31415926", 0, device=d) for d in ("cuda", "cpu"))
    assert shipped("attention_positions_none", "cuda").model.device.type == "cuda"
    np.testing.assert_allclose(np.asarray(gpu.table.data[0].z), np.asarray(cpu.table.data[0].z), atol=1e-6)
    assert "identical after unshuffling" in gpu.equivariance and "| yes |" in gpu.equivariance


def test_catalog_refuses_a_folder_without_config(tmp_path):
    with pytest.raises(InputError, match="config.json"):
        V.Catalog([tmp_path])


def test_hf_model_shows_heatmaps_and_says_what_is_unavailable(tmp_path):
    pytest.importorskip("transformers")
    folder = make_tiny_bert(tmp_path / "tiny_bert")
    catalog = V.Catalog([folder])
    label = catalog.labels[-1]
    assert label == "your model · tiny_bert"
    view = V.attention_view(catalog, label, "the dogs that the zebra sees run .", 1, 1)
    z = np.asarray(view.heatmap.data[0].z)
    assert z.shape[0] == z.shape[1] and len(view.grid.data) == 4
    np.testing.assert_allclose(z.sum(1), 1.0, atol=2e-3)
    assert "zebra" in view.tokens
    assert "only the shipped models" in V.steps_view(catalog, label, "the dog runs .", 0, 0, None).explanation
    assert V.bertviz_view(catalog, label, "the dog runs .", "f/").head_view.startswith("<iframe")
    assert V.model_info(catalog, label).task == "hf" and V.heads_view(catalog, label).rows == []
