"""The drawing canvas the GAN and Diffusion tabs share: draw a 2-D data set with the mouse.

A plain ``<canvas>`` in a ``gr.HTML`` whose value is the ink mask, bit-packed (a few kB), read on
the server by :func:`explainer.datasets.toy2d.decode_drawing`. It replaced ``gr.Sketchpad``: on
each progress update of any event, Gradio 6.31's page asks every component that has been an
input or output of an event so far for its value, and a Sketchpad holding a drawing answers by
exporting its layers as PNGs and uploading them — 48 to 400 uploads while a run trained on a
drawing, and the page fell 10-16 s behind. Make the canvas an input of the event that starts a
run only (New run), never of the streaming one.
"""

from __future__ import annotations

import gradio as gr

CANVAS = 320  # the drawing canvas, in CSS pixels
INK_GRID = 160  # the canvas is sent as a 160 × 160 ink mask (3.2 kB before base64)

# Strokes in black; on each pen-up the ink (alpha > 25%) is sampled on an INK_GRID² grid and sent
# as "WxH:<base64 of np.packbits order bits>" (explainer.datasets.toy2d.decode_drawing reads it).
CANVAS_HTML = (f'<div class="drawing-canvas"><canvas width="{CANVAS}" height="{CANVAS}" aria-label="drawing canvas">'
               '</canvas><button type="button">Clear the drawing</button></div>')
CANVAS_CSS = (f"canvas {{ width: {CANVAS}px; height: {CANVAS}px; border: 1px solid #888; background: white; "
              "touch-action: none; cursor: crosshair; display: block; } button { margin-top: 6px; }")
CANVAS_JS = """
const canvas = element.querySelector('canvas');
const pen = canvas.getContext('2d');
pen.lineCap = 'round'; pen.lineJoin = 'round'; pen.lineWidth = 10; pen.strokeStyle = '#000'; pen.fillStyle = '#000';
let down = false, last = null;
const at = e => { const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; };
function encode() {
  const n = GRID, small = document.createElement('canvas');
  small.width = n; small.height = n;
  const s = small.getContext('2d');
  s.drawImage(canvas, 0, 0, n, n);
  const alpha = s.getImageData(0, 0, n, n).data, bytes = new Uint8Array(n * n / 8);
  let ink = 0;
  for (let i = 0; i < n * n; i++) if (alpha[4 * i + 3] > 64) { bytes[i >> 3] |= 128 >> (i & 7); ink++; }
  let text = '';
  bytes.forEach(b => { text += String.fromCharCode(b); });
  return ink ? n + 'x' + n + ':' + btoa(text) : '';
}
canvas.addEventListener('pointerdown', e => {
  down = true; canvas.setPointerCapture(e.pointerId); last = at(e);
  pen.beginPath(); pen.arc(last[0], last[1], pen.lineWidth / 2, 0, 2 * Math.PI); pen.fill();
});
canvas.addEventListener('pointermove', e => {
  if (!down) return;
  const p = at(e);
  pen.beginPath(); pen.moveTo(last[0], last[1]); pen.lineTo(p[0], p[1]); pen.stroke(); last = p;
});
const finish = () => { if (down) { down = false; props.value = encode(); } };
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
element.querySelector('button').addEventListener('click', () => {
  pen.clearRect(0, 0, canvas.width, canvas.height); props.value = '';
});
""".replace("GRID", str(INK_GRID))


def drawing_canvas(*, elem_id: str) -> gr.HTML:
    """A canvas to draw a 2-D data set on; its value is "" until something is drawn."""
    return gr.HTML("", html_template=CANVAS_HTML, css_template=CANVAS_CSS, js_on_load=CANVAS_JS,
                   elem_id=elem_id, padding=False)
