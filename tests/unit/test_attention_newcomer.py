"""What a new user of the Attention tab hit (issue 14), checked on the views and figures.

Each test failed before its fix: a text of five [MASK]s broke the temperature view, head
titles were jargon, bertviz opened on layer 0 whatever the app's Layer said, and bar labels
of negative scores lost their minus sign against the axis.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
import torch

from explainer.attention import ENCODER, load_model, run_text
from explainer.attention import figures as F
from explainer.attention import views as V
from explainer.attention.heads import HeadLabel, plain_words
from explainer.figstyle import validated

ENC, DEC, REV = V.SHIPPED
CATALOG = V.Catalog()
MASKS = "[MASK] [MASK] [MASK] [MASK] [MASK]"


@pytest.mark.parametrize("tau", [0.05, 1.0, 5.0, 20.0])
@pytest.mark.parametrize("top_k", [1, 10, 20])
def test_five_masks_give_a_prediction_at_every_temperature(tau, top_k):
    """Was KeyError '[EOS]': the top-k named [EOS], which the compared words left out."""
    view = V.temperature_view(CATALOG, ENC, MASKS, 0, 0, tau, top_k)
    validated(view.prediction)
    before, after = view.prediction.data
    # Independent reference: the softmax of the model's own logits at the first [MASK], with the
    # tokens that are never an answer removed, as in explainer.attention.run.
    loaded = load_model(ENCODER)
    for trace, kw in ((before, {}), (after, {"temperature": tau})):
        run = run_text(loaded, MASKS, **kw)
        logits = torch.from_numpy(run.logits[run.tokens.index("[MASK]")]).double()  # (V,) at the first [MASK]
        for special in ("[PAD]", "[MASK]", "[BOS]", "[UNK]"):
            logits[loaded.vocab.id(special)] = -np.inf
        p = torch.softmax(logits, -1).numpy()
        for word, shown in zip(trace.x, np.asarray(trace.y, dtype=float)):
            if not word.startswith("all "):  # the summed verb forms come last
                assert shown == pytest.approx(p[loaded.vocab.id(word)], abs=2e-4), word


def test_five_masks_name_the_end_token_when_the_model_predicts_it():
    view = V.temperature_view(CATALOG, ENC, MASKS, 0, 0, 5.0, 10)
    assert "[EOS]" in list(view.prediction.data[0].x)


def test_head_titles_and_table_use_plain_words():
    """Was 'no clear pattern (best: same token, 0.11 vs 0.08 if even)'."""
    for model in (ENC, DEC, REV):
        rows = V.heads_view(CATALOG, model).rows
        for layer in range(V.model_info(CATALOG, model).n_layers):
            title = V.attention_view(CATALOG, model, "31415926" if model == REV else "the dog runs .", layer, 0
                                     ).heatmap.layout.title.text
            assert not re.search(r"\bvs\b|if even|best:|0\.\d\d", title), title
        for row in rows:
            assert re.fullmatch(r".*\(\d+% of its attention\)|no clear pattern: only \d+% .* \(an even spread gives "
                                r"\d+%\)", row[1]), row[1]


def test_plain_words_follow_the_measured_numbers():
    clear = HeadLabel(0, 0, "previous token", 0.71, 0.08, "old text", {})
    vague = HeadLabel(0, 1, "same token", 0.11, 0.08, "old text", {})
    close = HeadLabel(0, 2, "same token", 0.40, 0.24, "old text", {})  # ≥ 0.3 but not twice an even spread
    assert plain_words(clear, causal=False) == "looks at the previous word (71% of its attention)"
    assert plain_words(vague, causal=False) == "no clear pattern: only 11% on the word itself (an even spread gives 8%)"
    assert plain_words(close, causal=False).startswith("no clear pattern: only 40%")
    subject = HeadLabel(1, 0, "verb → its subject", 0.85, 0.1, "", {})
    assert plain_words(subject, causal=True) == "links the word before a verb to the verb's subject (85% of its attention)"
    assert plain_words(subject, causal=False) == "links each verb to its subject (85% of its attention)"


def _config(page: str) -> dict:
    """bertviz's JSON config inside the head view's srcdoc."""
    doc = html.unescape(page)
    return {key: json.loads(value) for key, value in re.findall(r'"(layer|heads)": ?(\d+|\[[^\]]*\])', doc)}


@pytest.mark.parametrize(("layer", "head"), [(0, 0), (1, 2), (1, 3)])
def test_bertviz_opens_on_the_apps_layer_and_head(layer, head):
    """Was always layer 0 with every head: the app's Layer and Head were not passed on."""
    view = V.bertviz_view(CATALOG, DEC, "the dogs that the girl sees", "files/", layer, head)
    assert _config(view.head_view) == {"layer": layer, "heads": [head]}


def test_bar_labels_keep_their_minus_sign_and_room_inside_their_panel():
    """Was '−2.61' shown as '2.61' against the axis, and labels running into the panel titles."""
    tokens = ["[BOS]", "a", "b", "c"]
    raw = np.array([-2.61, 1.5, -0.3, 3.2])
    logits = raw / 2
    weights = np.exp(logits) / np.exp(logits).sum()
    fig = F.build_steps(tokens, 2, raw, raw / 2, logits, weights, d_k=4, mask_note="")
    validated(fig)
    d = fig.to_dict()
    first = d["data"][0]
    assert list(first["text"])[0] == "\u22122.61"  # a real minus sign, wide enough to see
    for n in range(len(d["data"])):
        lo, hi = d["layout"]["yaxis" + ("" if n == 0 else str(n + 1))]["range"]
        values = np.asarray(fig.data[n].y, dtype=float)
        span = max(values.max(), 0) - min(values.min(), 0)
        assert lo <= min(values.min(), 0) - 0.15 * span or values.min() >= 0  # room below negative bars
        assert hi >= max(values.max(), 0) + 0.15 * span  # room above positive bars, under the panel title


def test_label_room_handles_all_negative_and_empty_rows():
    assert F.label_room(np.array([-3.0, -1.0]))[1] > 0 and F.label_room(np.array([-3.0, -1.0]))[0] < -3
    assert F.label_room(np.array([np.nan])) == pytest.approx([0.0, 1.22])
