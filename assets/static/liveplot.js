// The LivePlot component's script (demos/liveplot.py): runs once when the component mounts;
// `element`, `props` and `watch` come from gr.HTML.
const gd = element.querySelector('.liveplot-figure');
const CONFIG = {displaylogo: false, responsive: false};  // sizing: the ResizeObserver below
const FULL_MS = props.full_redraw_ms;  // the whole figure is redrawn at most this often; between, only moving points
const MOVE = {transition: {duration: 0}, frame: {duration: 0, redraw: false}, mode: 'immediate'};
let P = null;        // the Plotly this div is drawn with (captured once: never mix two versions)
let key = null;      // the last keyframe received: {id, data, layout}
let wanted = null;   // the newest figure not drawn yet (older ones are skipped)
let shown = null;    // the last figure drawn, and whether it was drawn whole
let drawing = false, lastFull = -1e9, settle = null;
let drawn = null;    // the figure whose styles are on screen (drawn by react or animate; drawInPlace keeps them),
                     // as received: Plotly is given copies, so this one is never written into

const frameOf = (text) => {  // a payload -> {key, p}, or null when it cannot be drawn
  let p;
  try { p = JSON.parse(text); } catch (e) { return null; }
  if (p.key) key = {id: p.key, data: p.data, layout: p.layout};
  else if (!key || p.base !== key.id) return null;  // a keyframe we never saw: wait for the next one
  return {key, p};
};

const figureOf = ({key, p}) => {  // built only for the frames drawn (a busy page skips some)
  const data = structuredClone(key.data);  // Plotly may write into what it is given
  const moved = [], changed = [];  // the traces this delta changes; of them, the scatter traces
  if (!p.key) p.data.forEach((change, i) => {
    Object.assign(data[i], change);
    if (!Object.keys(change).length) return;
    changed.push(i);
    if ((data[i].type || 'scatter') === 'scatter') moved.push(i);
  });
  const layout = Object.assign(structuredClone(key.layout), p.key ? {} : p.layout);
  layout.autosize = true;
  layout.margin = Object.assign({}, layout.margin, {autoexpand: true});
  return {id: key.id, whole: !!p.key, data, layout, moved, changed, relayout: p.key ? [] : Object.keys(p.layout)};
};

// Drawing a frame without Plotly: in the SVG Plotly drew at the last whole redraw, each `.point` of a
// marker trace gets its new translate() (and, for rotated markers such as arrow heads, the turn since
// it was drawn; points added or removed where all are drawn alike), each `.js-line` segment its new
// path, each heatmap its new picture (the colour scale applied here, as Plotly does, into a canvas of
// one pixel per cell), the title its new text: a few milliseconds, where Plotly.animate takes ~35 ms
// and Plotly.react 55-90 ms for the GAN plane. Only those may change; a trace whose style or number of
// line segments changed, an empty or hidden trace, a non-linear axis or another layout change is left
// for Plotly (see paint). tests/browser/test_liveplot_inplace.py compares the result with Plotly's own.
const DTYPES = {f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array,
                u2: Uint16Array, i4: Int32Array, u4: Uint32Array};
const numbers = v => {  // a data array as sent: a list, or Plotly's base64 typed array {dtype, bdata, shape}
  if (!v || v.bdata === undefined) return Array.isArray(v) && Array.isArray(v[0]) ? v.flat() : v;
  const s = atob(v.bdata), bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return DTYPES[v.dtype] ? new DTYPES[v.dtype](bytes.buffer) : null;
};
const shapeOf = v => v && v.bdata !== undefined ? String(v.shape || v.length) : (Array.isArray(v) && Array.isArray(v[0]) ? `${v.length}, ${v[0].length}` : null);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const onlyIn = (trace, drawn, free) => {  // does `trace` differ from the one on screen only in `free` keys?
  if (!drawn) return false;
  for (const k of new Set([...Object.keys(trace), ...Object.keys(drawn)])) {
    if (free.includes(k)) continue;
    if (k === 'marker' ? !same({...trace.marker, angle: 0}, {...drawn.marker, angle: 0}) : !same(trace[k], drawn[k])) return false;
  }
  return true;
};
const axis = id => gd._fullLayout[(id || 'x').charAt(0) + 'axis' + (id || 'x').slice(1)];
const linear = a => a && a.type === 'linear';
let palette = null;  // a 1x1 canvas that turns any CSS colour into r, g, b, a
const rgba = c => {
  palette = palette || document.createElement('canvas').getContext('2d', {willReadFrequently: true});
  palette.clearRect(0, 0, 1, 1);
  palette.fillStyle = '#000';
  palette.fillStyle = c;
  palette.fillRect(0, 0, 1, 1);
  return palette.getImageData(0, 0, 1, 1).data;
};

const uniform = m => !m || Object.values(m).every(v => v === null || typeof v !== 'object' || (!Array.isArray(v) && v.bdata === undefined && uniform(v)));  // no per-point values
const movePoints = (g, full, trace, writes) => {  // a scatter trace: false when it needs Plotly
  const xa = axis(full.xaxis), ya = axis(full.yaxis);
  const x = numbers(trace.x), y = numbers(trace.y);
  if (!linear(xa) || !linear(ya) || !x || !y) return false;
  const n = Math.min(x.length, y.length), px = new Array(n), py = new Array(n);
  let finite = 0;
  for (let j = 0; j < n; j++) {
    px[j] = xa.c2p(x[j]); py[j] = ya.c2p(y[j]);
    if (Number.isFinite(px[j]) && Number.isFinite(py[j])) finite++;
  }
  const drawnPoints = g.querySelectorAll('.point');
  let points = {length: drawnPoints.length, node: j => drawnPoints[j]};
  if (drawnPoints.length && drawnPoints.length !== n && finite === n && uniform(trace.marker)) {
    // a different number of points, all drawn alike: copies of the last one added, or the extra ones removed
    const parent = drawnPoints[0].parentNode, last = drawnPoints[drawnPoints.length - 1];
    writes.push(() => {
      for (let j = drawnPoints.length; j < n; j++) parent.appendChild(last.cloneNode(true));
      for (let j = n; j < drawnPoints.length; j++) drawnPoints[j].remove();
    });
    points = {length: n, node: j => parent.children[j]};
  }
  if (points.length) {  // markers: Plotly draws one per finite point, in order
    if (points.length !== n || finite !== n) return false;
    const a = trace.marker && trace.marker.angle, angle = a && typeof a === 'object' ? numbers(a) : null;  // per point
    for (let j = 0; j < n; j++) {
      writes.push(() => {
        const node = points.node(j), turn = angle && node.__data__ ? angle[j] - (node.__data__.ma || 0) : 0;
        node.setAttribute('transform', `translate(${px[j].toFixed(2)},${py[j].toFixed(2)})` + (turn ? ` rotate(${turn.toFixed(1)})` : ''));
      });
    }
  }
  const lines = g.querySelectorAll('.js-line');
  if (lines.length) {  // lines: one path per run of finite points (gaps split them), straight segments
    if (full.line.shape !== 'linear' || (full.fill && full.fill !== 'none') || full.connectgaps) return false;
    const paths = [];
    let run = [];
    for (let j = 0; j <= n; j++) {
      if (j < n && Number.isFinite(px[j]) && Number.isFinite(py[j])) { run.push(`${px[j].toFixed(2)},${py[j].toFixed(2)}`); continue; }
      if (run.length > 1) paths.push('M' + run.join('L'));
      else if (run.length) return false;  // a lone point: Plotly draws it its own way
      run = [];
    }
    if (paths.length !== lines.length) return false;
    lines.forEach((line, j) => writes.push(() => line.setAttribute('d', paths[j])));
  }
  return points.length > 0 || lines.length > 0;
};

const XLINK = 'http://www.w3.org/1999/xlink';
const repaintHeatmap = (g, full, trace, drawnTrace, writes) => {  // a heatmap: its cells recoloured
  const image = g.querySelector('image'), z = numbers(trace.z), shape = shapeOf(trace.z);
  const xa = axis(full.xaxis), ya = axis(full.yaxis), x = numbers(trace.x), y = numbers(trace.y);
  if (!image || !z || !shape || shape !== shapeOf(drawnTrace.z) || full.zsmooth || full.zauto !== false
      || !linear(xa) || !linear(ya) || !x || !y || full.zmax <= full.zmin) return false;
  const [rows, cols] = shape.split(',').map(Number);
  if (!(rows * cols === z.length && x.length === cols && y.length === rows)) return false;
  const stops = full.colorscale.map(([v, c]) => [v, rgba(c)]);
  const flipX = xa.c2p(x[0]) > xa.c2p(x[cols - 1]), flipY = ya.c2p(y[0]) > ya.c2p(y[rows - 1]);  // image rows run down
  const canvas = document.createElement('canvas');
  canvas.width = cols; canvas.height = rows;
  const context = canvas.getContext('2d'), pixels = context.createImageData(cols, rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const v = z[r * cols + c], at = 4 * ((flipY ? rows - 1 - r : r) * cols + (flipX ? cols - 1 - c : c));
    if (!Number.isFinite(v)) continue;  // a missing value: transparent
    const t = Math.min(1, Math.max(0, (v - full.zmin) / (full.zmax - full.zmin)));
    let k = 1;
    while (k < stops.length - 1 && stops[k][0] < t) k++;
    const [t0, c0] = stops[k - 1], [t1, c1] = stops[k], f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    for (let ch = 0; ch < 4; ch++) pixels.data[at + ch] = Math.round(c0[ch] + f * (c1[ch] - c0[ch]));
  }
  context.putImageData(pixels, 0, 0);
  writes.push(() => image.setAttributeNS(XLINK, 'xlink:href', canvas.toDataURL('image/png')));
  return true;
};

const retitle = (fig, drawnFig, writes) => {  // the figure's title, when it is plain text
  const text = fig.layout.title && fig.layout.title.text, node = gd.querySelector('.g-gtitle .gtitle');
  if (typeof text !== 'string' || /[<\n]/.test(text) || !node || node.childElementCount
      || !same({...fig.layout.title, text: ''}, {...drawnFig.layout.title, text: ''})) return false;
  writes.push(() => { node.textContent = text; });
  return true;
};

// Draws in place what it can of `fig` over `drawn` (the figure whose styles are on screen): 'all',
// 'some' (what it could not draw waits for the next whole redraw) or 'none' (nothing written).
const drawInPlace = (fig, drawn) => {
  if (!gd._fullLayout || !drawn || drawn.id !== fig.id) return 'none';
  const groups = new Map();  // trace index -> its SVG group, for the traces Plotly drew
  gd.querySelectorAll('.scatterlayer .trace, .hm').forEach(g => {
    const cd = g.__data__;
    if (cd && cd[0] && cd[0].trace) groups.set(cd[0].trace.index, g);
  });
  const writes = [];
  let done = 0, left = 0;
  for (const i of fig.changed) {
    const g = groups.get(i), trace = fig.data[i], type = trace.type || 'scatter', mine = [];
    const ok = !!g && (type === 'scatter' ? onlyIn(trace, drawn.data[i], ['x', 'y']) && movePoints(g, g.__data__[0].trace, trace, mine)
                      : type === 'heatmap' && onlyIn(trace, drawn.data[i], ['z'])
                        && repaintHeatmap(g, g.__data__[0].trace, trace, drawn.data[i], mine));
    if (ok) { writes.push(...mine); done++; } else left++;
  }
  for (const k of fig.relayout) {
    if (k === 'title' && retitle(fig, drawn, writes)) done++; else left++;
  }
  writes.forEach(write => write());
  return !left ? 'all' : (done ? 'some' : 'none');
};

// Plotly.react redraws every trace, the axes and the legend (55-90 ms for the GAN plane in headless
// Chromium on 2 cores). So: the whole figure at most every FULL_MS and whenever the keyframe changes;
// between, each frame is drawn in place (drawInPlace); what cannot be waits at most SOON_MS for a whole
// redraw; a frame with nothing drawable in place moves its points with Plotly.animate (no redraw, ~35 ms)
// or is drawn whole; and the latest figure is drawn whole once more SETTLE_MS after frames stop.
const SOON_MS = 250, SETTLE_MS = 300;
const paint = (force) => {
  if (drawing || !P || !wanted) return;
  const fig = wanted.data ? wanted : figureOf(wanted), now = performance.now();
  wanted = null;
  drawing = true;
  let whole = force === true || fig.whole || !shown || shown.fig.id !== fig.id || now - lastFull >= FULL_MS;
  let job = null, inPlace = 'none';
  if (!whole) {
    try { inPlace = drawInPlace(fig, drawn); } catch (err) { console.warn('liveplot: drawn whole instead', err); }
  }
  if (inPlace !== 'none') {
    window.__liveMoves = (window.__liveMoves || 0) + 1;  // frames drawn in place (the rest: by Plotly)
    if (inPlace === 'some') lastFull = Math.min(lastFull, now - FULL_MS + SOON_MS);
  } else if (!whole && fig.moved.length) {
    job = P.animate(gd, {data: structuredClone(fig.moved.map(i => fig.data[i])), traces: fig.moved}, MOVE);
    drawn = fig;
    if (fig.changed.length > fig.moved.length || fig.relayout.length) lastFull = Math.min(lastFull, now - FULL_MS + SOON_MS);
  } else {
    whole = true;
  }
  if (whole) {
    job = P.react(gd, structuredClone(fig.data), fig.layout, CONFIG);  // Plotly writes into what it is given
    lastFull = now;
    drawn = fig;
  }
  shown = {fig, whole};
  clearTimeout(settle);
  if (!whole) settle = setTimeout(() => { if (!wanted && !shown.whole) { wanted = shown.fig; paint(true); } }, SETTLE_MS);
  Promise.resolve(job)
    .then(() => new Promise(resolve => requestAnimationFrame(resolve)))
    .then(() => { window.__livePaints = (window.__livePaints || 0) + 1; })
    .catch(err => console.warn('liveplot: frame not drawn', err))
    .finally(() => { drawing = false; if (wanted) requestAnimationFrame(paint); });
};

const receive = () => {
  const text = props.value;
  if (!text) {  // no figure (a refused run): clear the plot
    key = null; wanted = null; shown = null; drawn = null;
    if (P && gd.data) P.purge(gd);
    return;
  }
  window.__liveFrames = (window.__liveFrames || 0) + 1;  // received (painted ones: __livePaints)
  const frame = frameOf(text);
  if (frame) { wanted = frame; requestAnimationFrame(paint); }
};

new ResizeObserver(() => {
  if (P && gd.data && gd.offsetWidth > 0 && gd.offsetWidth !== gd.__liveWidth) {
    gd.__liveWidth = gd.offsetWidth;
    P.Plots.resize(gd);
  }
}).observe(element);

const started = performance.now();
let injected = false;
const findPlotly = () => {
  if (window.Plotly && window.Plotly.react) {
    P = window.Plotly;
    paint();
    return;
  }
  if (!injected && performance.now() - started > 8000 && props.plotly_src) {
    injected = true;  // no gr.Plot loaded Plotly: load the copy from the plotly package (this server)
    const s = document.createElement('script');
    s.src = props.plotly_src;
    document.head.appendChild(s);
  }
  setTimeout(findPlotly, 50);
};
watch('value', receive);
receive();
findPlotly();
