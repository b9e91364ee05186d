"""Bring-your-own-model: a tiny random BERT saved to a temp folder loads and gives (L, H, T, T)."""

import numpy as np
import pytest

pytest.importorskip("transformers")

from explainer.attention.hf import load_hf_model, run_hf  # noqa: E402
from explainer.validate import InputError  # noqa: E402

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "dog", "dogs", "runs", "run", "cat", "sees", "."]


@pytest.fixture(scope="module")
def tiny_bert_dir(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_bert")
    (folder / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    config = BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    torch.manual_seed(0)  # test-only: a random model
    BertModel(config).save_pretrained(folder)  # safetensors by default
    tokenizer.save_pretrained(folder)
    return folder


def test_local_model_gives_tokens_and_attention(tiny_bert_dir):
    hf = load_hf_model(tiny_bert_dir)
    assert (hf.n_layers, hf.n_heads) == (2, 2)
    run = run_hf(hf, "The dogs that the zebra sees run.")
    assert run.tokens[0] == "[CLS]" and run.tokens[-1] == "[SEP]"
    assert "[UNK]" in run.tokens and "zebra" in run.unknown
    T = len(run.tokens)
    assert run.attention.shape == (2, 2, T, T)
    np.testing.assert_allclose(run.attention.sum(-1), 1.0, atol=1e-5)
    assert run.scores is None


def test_bad_folders_are_refused(tmp_path):
    with pytest.raises(InputError, match="config.json"):
        load_hf_model(tmp_path)
    with pytest.raises(InputError, match="config.json"):
        load_hf_model(tmp_path / "missing")


def test_pickle_weights_are_refused(tiny_bert_dir, tmp_path):
    import shutil

    folder = tmp_path / "bin_only"
    shutil.copytree(tiny_bert_dir, folder)
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")  # pretend it is a pickle file
    with pytest.raises(InputError):
        load_hf_model(folder)
