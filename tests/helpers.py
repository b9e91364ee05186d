"""Helpers several test modules share (test modules never import each other)."""

from __future__ import annotations

import json
import urllib.request

import torch


def call_raw(app_url: str, api_name: str, body: str) -> str:
    """POST raw JSON to Gradio's REST call API (NaN and Infinity are legal there) and read the SSE reply."""
    request = urllib.request.Request(f"{app_url}gradio_api/call/{api_name}", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{app_url}gradio_api/call/{api_name}/{event_id}", timeout=60) as r:
        return r.read().decode()


TINY_BERT_WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "dog", "dogs", "runs", "run", "cat", "sees", "that", "."]


def make_tiny_bert(folder):
    """A randomly initialised 2-layer, 2-head BERT with a 14-word vocabulary, saved like save_pretrained."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True)
    (folder / "vocab.txt").write_text("\n".join(TINY_BERT_WORDS) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    config = BertConfig(vocab_size=len(TINY_BERT_WORDS), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # test-only: a random model, without touching the global RNG afterwards
        BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def in_fresh_thread(fn, *args):
    """Call ``fn(*args)`` in a new thread and return its result.

    For code that calls ``asyncio.run``: Playwright's sync API leaves an event loop running in the
    main thread once a browser test has run in the same session, and asyncio.run refuses to start there.
    """
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()
