"""The drawing canvas's value, read on the shared data floor (explainer.datasets.toy2d), not in a topic.

The GAN and Diffusion tabs share one canvas (demos/canvas.py); its JS packs the ink row by row,
``bytes[i >> 3] |= 128 >> (i & 7)``, and sends ``"WxH:" + btoa(bytes)``. The reference encoder
below follows that JS bit by bit (no numpy), so a change of bit order on either side fails here.
"""

from __future__ import annotations

import ast
import base64
from pathlib import Path

import numpy as np
import pytest

from explainer.datasets.toy2d import MAX_DRAWING_SIDE, PLANE, decode_drawing, drawn
from explainer.validate import InputError

ROOT = Path(__file__).resolve().parents[2]


def _as_the_canvas_sends(mask: np.ndarray) -> str:
    """The canvas's encode(), in plain Python: pixel i sets bit 7 - i % 8 of byte i // 8."""
    height, width = mask.shape
    packed = bytearray(-(-width * height // 8))
    for i, ink in enumerate(mask.ravel().tolist()):
        if ink:
            packed[i >> 3] |= 128 >> (i & 7)
    return f"{width}x{height}:" + base64.b64encode(bytes(packed)).decode()


def test_the_canvas_bit_order_decodes_to_the_mask():
    rng = np.random.default_rng(1)
    for shape in ((160, 160), (3, 11), (2, 2)):  # 33 bits: the last byte is mostly padding
        mask = rng.random(shape) < 0.4
        decoded = decode_drawing(_as_the_canvas_sends(mask))
        assert decoded.dtype == bool and decoded.shape == shape
        np.testing.assert_array_equal(decoded, mask)


def test_a_decoded_drawing_is_sampled_on_its_ink_pixel_centres():
    mask = np.zeros((2, 4), bool)  # 2 rows, 4 columns: the 4 columns span [-PLANE, PLANE]
    mask[0, 0] = mask[1, 3] = True  # top-left and bottom-right pixels
    data = drawn(decode_drawing(_as_the_canvas_sends(mask)))
    pixel = 2 * PLANE / 4
    np.testing.assert_allclose(data.points, [[-1.5 * pixel, 0.5 * pixel], [1.5 * pixel, -0.5 * pixel]])
    samples = data.sample_numpy(400, seed=0)
    nearest = np.abs(samples[:, None, :] - data.points[None]).max(axis=2).min(axis=1)  # (400,) Chebyshev distance
    assert nearest.max() <= pixel / 2 + 1e-6  # every sample inside one of the two inked pixels


def test_the_largest_canvas_is_read_and_one_pixel_more_is_refused():
    side = MAX_DRAWING_SIDE
    ok = np.zeros((side, side), bool)
    ok[side // 2, :] = True
    np.testing.assert_array_equal(decode_drawing(_as_the_canvas_sends(ok)), ok)
    with pytest.raises(InputError, match="clear the canvas and draw again"):
        decode_drawing(_as_the_canvas_sends(np.ones((side + 1, 4), bool)))


def test_nothing_drawn_is_none_not_an_error():
    assert decode_drawing("") is None and decode_drawing(None) is None


def test_the_tabs_take_the_canvas_and_its_decoder_from_the_shared_floors():
    """demos/diffusion* reaches neither demos.gan nor explainer.gan; only demos/gan.py imports explainer.gan."""
    for path in sorted((ROOT / "demos").glob("*.py")):
        tree = ast.parse(path.read_text())
        mods = {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                for a in n.names}  # "from explainer import gan" -> explainer.gan
        mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        if path.name != "gan.py":
            assert not any(m == "explainer.gan" or m.startswith("explainer.gan.") for m in mods), path.name
        if path.name.startswith("diffusion"):
            assert not any(m == "demos.gan" or m.startswith("demos.gan.") for m in mods), path.name
