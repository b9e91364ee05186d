// Workshop mode (demos/workshop.py): lessons, links to a view, keys, presenter mode.
// Runs as the js_on_load of the bar's gr.HTML (`element` is its div). It drives the page as a person
// would: click the tab, set a control, fire the input events Gradio listens to, so every view redraws
// through its own events. The data below is the app's manifest of views and controls plus the lessons.
(() => {
  const DATA = __WORKSHOP_DATA__;
  const W = (window.explainerWorkshop = window.explainerWorkshop || {});
  W.data = DATA;
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const visible = el => !!el && el.offsetParent !== null;
  async function until(test, ms = 8000) {
    const end = performance.now() + ms;
    for (;;) {
      const got = test();
      if (got) return got;
      if (performance.now() > end) return null;
      await sleep(40);
    }
  }

  // --- Where we are -------------------------------------------------------------------------
  // A tab is open when its panel (found by the elem_id demos/workshop.py gave it) is on screen. Its button is
  // `#<elem_id>-button`; a tab that overflows the bar sits in the bar's "More tabs" menu instead.
  const spec = id => {
    for (const [tab, t] of Object.entries(DATA.tabs)) if (tab === id) return t; else if (t.views[id]) return t.views[id];
    return null;
  };
  const isOpen = id => visible(document.getElementById(spec(id)?.elem || ''));
  const selected = ids => ids.find(isOpen) || '';
  W.activeTab = () => selected(Object.keys(DATA.tabs));
  W.activeView = (tab = W.activeTab()) => selected(Object.keys(DATA.tabs[tab]?.views || {}).filter(v => v));

  async function openTab(id) {
    const s = spec(id);
    if (!s || isOpen(id)) return !!s;
    const button = document.getElementById(`${s.elem}-button`);
    if (visible(button)) button.click();
    else {  // in the overflow menu: open the menu of the bar that holds it, then pick it by its label
      for (const more of document.querySelectorAll('button[aria-label="More tabs"]')) if (visible(more)) more.click();
      const item = await until(() => [...document.querySelectorAll('button:not([role=tab]):not([tabindex="-1"])')]
        .find(b => visible(b) && b.innerText.trim() === s.label), 2000);
      item?.click();
    }
    return !!(await until(() => isOpen(id)));
  }

  // --- One control: find, read, set -----------------------------------------------------------
  function lookup(tab, view, name) {  // by key, then by label; the view's own controls first, then the tab's
    const views = DATA.tabs[tab]?.views || {};
    for (const scope of [view, '']) {
      const controls = views[scope]?.controls || {};
      if (controls[name]) return [name, controls[name]];
      const hits = Object.entries(controls).filter(([, c]) => c.label === name);
      if (hits.length === 1) return hits[0];
    }
    return null;
  }
  const root = spec => document.getElementById(spec.id);
  const fire = (el, ...types) => types.forEach(t => el.dispatchEvent(new Event(t, {bubbles: true})));
  const enter = el => el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', code: 'Enter', keyCode: 13, bubbles: true}));
  const shownOf = (spec, value) => (spec.choices.find(([, v]) => String(v) === String(value)) || [String(value)])[0];
  const valueOf = (spec, shown) => (spec.choices.find(([s]) => s === shown) || [shown, shown])[1];

  function read(spec) {
    const el = root(spec);
    if (!el) return undefined;
    switch (spec.type) {
      case 'slider': case 'number': {
        const input = el.querySelector('input[type=number]');
        return input && input.value !== '' ? Number(input.value) : null;
      }
      case 'checkbox': return !!el.querySelector('input[type=checkbox]')?.checked;
      case 'checkboxgroup':
        return [...el.querySelectorAll('label')].filter(l => l.querySelector('input:checked'))
          .map(l => valueOf(spec, l.innerText.trim()));
      case 'radio': {
        const input = el.querySelector('input[type=radio]:checked');
        return input ? valueOf(spec, input.closest('label').innerText.trim()) : null;
      }
      case 'dropdown': return valueOf(spec, el.querySelector('input')?.value ?? '');
      default: return el.querySelector('textarea, input')?.value ?? '';
    }
  }

  // A control just mounted (its tab opened a moment ago) can still overwrite what was typed into it with its
  // initial value: write, wait, read back, and write again if it did not stay.
  const holds = (spec, value) => JSON.stringify(read(spec)) === JSON.stringify(value);
  async function set(spec, value) {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (holds(spec, value)) {
        await sleep(150);
        if (holds(spec, value)) return true;
      }
      const el = await until(() => root(spec));
      if (!el) return false;
      await write(el, spec, value);
      await until(() => holds(spec, value), 3000);
    }
    return holds(spec, value);
  }

  async function write(el, spec, value) {
    switch (spec.type) {
      case 'slider': case 'number': {
        const input = el.querySelector('input[type=number]');
        input.value = String(value);
        fire(input, 'input', 'change');
        enter(input);
        fire(input, 'blur');
        break;
      }
      case 'checkbox': el.querySelector('input[type=checkbox]').click(); break;
      case 'checkboxgroup': {
        const want = new Set(value.map(String));
        for (const label of el.querySelectorAll('label')) {
          const input = label.querySelector('input');
          const on = want.has(String(valueOf(spec, label.innerText.trim())));
          if (input && input.checked !== on) { input.click(); await sleep(20); }
        }
        break;
      }
      case 'radio': {
        const label = [...el.querySelectorAll('label')].find(l => l.innerText.trim() === shownOf(spec, value));
        label?.querySelector('input')?.click();
        break;
      }
      case 'dropdown': {
        const input = el.querySelector('input');
        input.focus();
        fire(input, 'focus');
        const option = await until(() => [...document.querySelectorAll('li[role=option]')]
          .find(li => li.getAttribute('aria-label') === shownOf(spec, value)), 1500);
        if (option) {
          option.dispatchEvent(new MouseEvent('mousedown', {bubbles: true}));
          option.click();
        } else if (spec.custom) {
          input.value = String(value);
          fire(input, 'input');
          enter(input);
        }
        input.blur();
        fire(input, 'blur');
        break;
      }
      default: {
        const box = el.querySelector('textarea, input');
        box.value = String(value);
        fire(box, 'input', 'change');
        enter(box);
        fire(box, 'blur');
      }
    }
  }

  // --- Values from links and lessons: the rule of demos.workshop.coerce -----------------------------
  function coerce(spec, value) {
    const live = root(spec)?.querySelector('input[type=range]');  // the slider's range as drawn now
    if (spec.type === 'slider' || spec.type === 'number') {
      const n = typeof value === 'boolean' ? NaN : Number(value);
      if (value === '' || !Number.isFinite(n)) throw new Error('a number is needed');
      const lo = live ? Number(live.min) : spec.min, hi = live ? Number(live.max) : spec.max;
      if ((lo != null && n < lo) || (hi != null && n > hi)) throw new Error(`${n} is outside ${lo} … ${hi}`);
      if (spec.step) {
        const k = (n - (spec.min || 0)) / spec.step;
        if (Math.abs(k - Math.round(k)) > 1e-6) throw new Error(`${n} is not on the step of ${spec.step}`);
      }
      return n;
    }
    if (spec.type === 'checkbox') {
      if (typeof value === 'boolean') return value;
      const s = String(value).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw new Error('use true or false');
    }
    const choice = v => {
      const hit = spec.choices.find(([s, r]) => String(v) === String(r) || String(v) === s);
      if (hit) return hit[1];
      if (spec.custom) return v;
      throw new Error(`'${v}' is not one of ${spec.choices.map(c => c[1]).join(', ')}`);
    };
    if (spec.type === 'checkboxgroup') return (Array.isArray(value) ? value : String(value).split(',').filter(Boolean)).map(choice);
    if (spec.type === 'radio' || spec.type === 'dropdown') return choice(value);
    if (String(value).length > 4000) throw new Error('text of at most 4000 characters is needed');
    return String(value);
  }

  // --- A whole view: open it, set what differs, press a button ---------------------------------------
  W.apply = async function (state) {  // {tab, view, values: {name: value}, press}
    const problems = [];
    if (!DATA.tabs[state.tab]) return [`there is no tab '${state.tab}'`];
    await openTab(state.tab);
    let view = state.view || '';
    if (view && !DATA.tabs[state.tab].views[view]) { problems.push(`there is no view '${view}'`); view = ''; }
    if (view) await openTab(view);
    for (const [name, raw] of Object.entries(state.values || {})) {
      const found = lookup(state.tab, view, name);
      if (!found) { problems.push(`no control '${name}' here`); continue; }
      const [, spec] = found;
      await until(() => root(spec));
      let value;
      try { value = coerce(spec, raw); } catch (e) { problems.push(`${spec.label}: ${e.message}`); continue; }
      if (!(await set(spec, value))) problems.push(`${spec.label} could not be set to ${raw}`);
      await sleep(30);
    }
    if (state.press) {
      const button = await until(() => [...document.querySelectorAll('button')]
        .find(b => visible(b) && b.innerText.trim() === state.press), 3000);
      if (button) button.click(); else problems.push(`no button '${state.press}' here`);
    }
    return problems;
  };

  W.state = function () {  // the current view as {tab, view, values}: every control of the view and of its tab
    const tab = W.activeTab(), view = W.activeView(tab), views = DATA.tabs[tab]?.views || {};
    const values = {};
    for (const scope of ['', view]) {
      for (const [key, spec] of Object.entries(views[scope]?.controls || {})) {
        const v = read(spec);
        if (v !== undefined) values[key] = v;
      }
    }
    return {tab, view, values};
  };

  // --- Links ---------------------------------------------------------------------------------
  W.link = function () {  // this view as a URL: only the values that differ from the defaults
    const {tab, view, values} = W.state();
    const params = new URLSearchParams({tab});
    if (view) params.set('view', view);
    for (const [key, value] of Object.entries(values)) {
      const [, spec] = lookup(tab, view, key);
      if (JSON.stringify(value) === JSON.stringify(spec.default)) continue;
      params.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    if (document.body.classList.contains('present')) params.set('present', '1');
    return `${location.origin}${location.pathname}?${params}`;
  };

  async function fromLink() {
    const params = new URLSearchParams(location.search);
    if (['1', 'true'].includes(params.get('present'))) present(true);
    if (!params.has('tab')) return;
    const state = {tab: params.get('tab'), view: params.get('view') || '', values: {}};
    for (const [key, value] of params) if (!['tab', 'view', 'present', 'step'].includes(key)) state.values[key] = value;
    const problems = await W.apply(state);
    const step = Number(params.get('step'));
    if (!problems.length && Number.isInteger(step) && step > 0 && DATA.lessons[state.tab]) await go(state.tab, step - 1);
    if (problems.length) notice(`This link asked for things this app does not have, so they keep their defaults: ${problems.join('; ')}.`);
  }

  // --- The bar: lesson, link, presenter mode ---------------------------------------------------------
  const at = {};  // tab -> the lesson step shown (-1: not started)
  let busy = false;
  element.classList.add('workshop-bar');
  element.innerHTML = `
    <div class="workshop-row">
      <button class="lesson-back" title="Back (←)">Back</button>
      <div class="lesson-text"><b class="lesson-title"></b> <span class="lesson-body"></span></div>
      <button class="lesson-next" title="Next (→)">Next</button>
      <button class="copy-link" title="Copy a link that opens this view as it is now">Copy link to this view</button>
      <button class="save-view" title="The figures of this view, with their captions, as one file that opens offline">Save view (HTML)</button>
      <button class="present-toggle" title="Large type, high contrast, advanced settings hidden">Presenter mode</button>
    </div>
    <div class="workshop-notice" role="status"></div>
    <input class="link-box" readonly aria-label="Link to this view" hidden>`;
  const $ = sel => element.querySelector(sel);

  function render() {
    const tab = W.activeTab(), lesson = DATA.lessons[tab], i = at[tab] ?? -1;
    element.hidden = !tab;
    $('.lesson-back').disabled = !lesson || i <= 0;
    $('.lesson-next').disabled = !lesson || i >= lesson.steps.length - 1;
    $('.lesson-next').textContent = lesson && i < 0 ? 'Start the lesson' : 'Next';
    if (!lesson) {
      $('.lesson-title').textContent = '';
      $('.lesson-body').textContent = tab ? 'No lesson for this tab.' : '';
      return;
    }
    $('.lesson-title').textContent = i < 0 ? `Lesson: ${lesson.title} (${lesson.steps.length} steps)`
      : `${i + 1}/${lesson.steps.length} · ${lesson.steps[i].title}.`;
    $('.lesson-body').textContent = i < 0 ? 'Press Next or → to begin; ← goes back.' : lesson.steps[i].text;
    element.dataset.step = String(i);
  }

  async function go(tab, i) {
    const lesson = DATA.lessons[tab];
    if (!lesson || i < 0 || i >= lesson.steps.length || busy) return;
    busy = true;
    if (playing[tab]) {  // a live view still running: pause it before the next step sets its controls
      buttonIn(['Pause'])?.click();
      playing[tab] = false;
      await sleep(300);
    }
    at[tab] = i;
    render();
    const step = lesson.steps[i];
    element.dataset.applying = 'true';
    try {
      const problems = await W.apply({tab, view: step.view, values: step.set, press: step.press});
      notice(problems.length ? `This step could not set: ${problems.join('; ')}.` : '');
      if (document.body.classList.contains('present')) await W.showFigure();
    } finally {
      busy = false;
      element.dataset.applying = 'false';
    }
  }
  // Presenter mode: the view's first figure is scrolled to the top of the screen, above the bar, so the room
  // sees the figure, not the controls the lesson just set.
  W.showFigure = async function () {
    const figure = await until(() => [...document.querySelectorAll('.js-plotly-plot')].find(visible), 5000);
    if (!figure) return;
    const box = (figure.closest('.block') || figure).getBoundingClientRect();
    window.scrollBy({top: box.top - 8, behavior: 'instant'});
  };
  W.next = () => go(W.activeTab(), (at[W.activeTab()] ?? -1) + 1);
  W.back = () => go(W.activeTab(), (at[W.activeTab()] ?? -1) - 1);

  function notice(text) {
    $('.workshop-notice').textContent = text;
    $('.workshop-notice').hidden = !text;
  }

  function present(on) {
    document.body.classList.toggle('present', on);
    $('.present-toggle').setAttribute('aria-pressed', String(on));
  }

  async function copyLink() {
    const link = W.link();
    history.replaceState(null, '', link);
    const box = $('.link-box');
    box.value = link;
    box.hidden = false;
    box.select();
    try { await navigator.clipboard.writeText(link); notice('Link copied: it opens this view as it is now.'); }
    catch (e) { notice('Copy the link from the box below (the browser did not allow copying).'); }
  }

  // --- Keys: → next, ← back, space play/pause, R reset (not while typing in a field) --------------
  const playing = {};
  function buttonIn(labels) {
    const buttons = [...document.querySelectorAll('button')].filter(visible);
    for (const label of labels) {
      const hit = buttons.find(b => b.innerText.trim() === label || (label.endsWith('*') && b.innerText.trim().startsWith(label.slice(0, -1))));
      if (hit) return hit;
    }
    return null;
  }
  W.playPause = function () {
    const tab = W.activeTab();
    const button = playing[tab] ? buttonIn(['Pause']) : buttonIn(['Train / resume', 'Play', 'Sample']);
    if (!button) return;
    playing[tab] = !playing[tab] && button.innerText.trim() !== 'Pause';
    button.click();
  };
  W.reset = () => buttonIn(['Reset', 'Reset*'])?.click();

  document.addEventListener('keydown', e => {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    const action = {ArrowRight: W.next, ArrowLeft: W.back, ' ': W.playPause, r: W.reset, R: W.reset}[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  });

  $('.lesson-next').addEventListener('click', () => W.next());
  $('.lesson-back').addEventListener('click', () => W.back());
  $('.copy-link').addEventListener('click', copyLink);
  $('.save-view').addEventListener('click', () => window.explainerSaveView?.());  // assets/static/figures.js
  $('.present-toggle').addEventListener('click', () => present(!document.body.classList.contains('present')));
  document.addEventListener('click', () => setTimeout(render, 80), true);  // a tab opened by hand: its lesson
  notice('');
  present(!!DATA.present);
  until(() => W.activeTab() || document.querySelector('button[role=tab]')).then(() => { render(); return fromLink(); })
    .then(() => { element.dataset.ready = 'true'; render(); });
})();
