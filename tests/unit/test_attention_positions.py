"""Positions: equivariance without them, the learned table, and the five-scheme comparison."""

import numpy as np
import pytest

from explainer.attention import (
    POSITIONAL_NAMES, POSITIONAL_SCHEMES, cosine_similarity, learned_positions, load_model,
    permutation_equivariance, positional_comparison,
)


def test_shuffling_the_input_shuffles_the_output_without_positions():
    none = load_model(POSITIONAL_NAMES["none"])
    for seed in range(3):
        check = permutation_equivariance(none, "31415926", seed=seed)
        assert check.equivariant and check.output_error < 1e-4 and check.attention_error < 1e-5
        assert sorted(check.permutation) == list(range(10)) and check.permutation != tuple(range(10))


@pytest.mark.parametrize("scheme", ["sinusoidal", "learned", "rope", "alibi"])
def test_any_position_scheme_breaks_equivariance(scheme):
    check = permutation_equivariance(load_model(POSITIONAL_NAMES[scheme]), "31415926", seed=0)
    assert not check.equivariant and max(check.output_error, check.attention_error) > 1e-2


def test_learned_position_table_is_exposed():
    loaded = load_model(POSITIONAL_NAMES["learned"])
    table = learned_positions(loaded)
    assert table.shape == (loaded.cfg.n_positions, loaded.cfg.d_model)
    sim = cosine_similarity(table)
    np.testing.assert_allclose(np.diag(sim), 1.0, atol=1e-5)
    with pytest.raises(ValueError):
        learned_positions(load_model(POSITIONAL_NAMES["rope"]))


def test_comparison_reports_five_accuracies_and_none_cannot_reverse():
    table = positional_comparison()
    assert list(table) == list(POSITIONAL_SCHEMES)
    assert all(0.0 <= row["exact_sequence_accuracy"] <= 1.0 for row in table.values())
    assert table["none"]["exact_sequence_accuracy"] < 0.05  # impossible without positions
    assert table["learned"]["exact_sequence_accuracy"] >= 0.99
    assert table["sinusoidal"]["exact_sequence_accuracy"] >= 0.99
