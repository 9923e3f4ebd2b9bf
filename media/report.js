// AR Migrate report webview. Receives {type:'report', data: ReportResult} or
// {type:'error', message}; posts {type:'refresh'|'migrate'|'open', uri?}.
// Built with DOM APIs only (no innerHTML with data), so image names and paths
// are always text. Colours come from the VS Code theme (CSS variables).
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const app = document.getElementById('app');
  const state = { data: undefined, sort: 'pulls', dir: -1, showFirstParty: false, showIgnored: true };

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return el;
  }
  const svgNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs) {
    const el = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    return el;
  }
  const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');
  function compact(n) {
    if (typeof n !== 'number') return '–';
    if (n >= 1e9) return (n / 1e9).toFixed(n >= 1e10 ? 0 : 1) + 'B';
    if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
    if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
    return n.toLocaleString('en-US');
  }
  function basename(uri) {
    try {
      const p = decodeURIComponent(new URL(uri).pathname);
      return p.split('/').slice(-2).join('/');
    } catch {
      return uri;
    }
  }

  /** Long names keep their end (the image), not their registry prefix. */
  function shorten(name, max) {
    return name.length <= max ? name : '…' + name.slice(name.length - max + 1);
  }

  function card(label, value, hint) {
    return h('div', { class: 'card' }, h('div', { class: 'card-value' }, value), h('div', { class: 'card-label' }, label), hint ? h('div', { class: 'card-hint' }, hint) : null);
  }

  function visible(images) {
    return images.filter((i) => (state.showFirstParty || i.thirdParty) && (state.showIgnored || !i.ignored));
  }

  function status(i) {
    if (!i.thirdParty) return { cls: 'first', text: 'first-party' };
    if (i.ignored) return { cls: 'ignored', text: 'ignored' };
    return { cls: 'third', text: 'third-party' };
  }

  /** Horizontal bar chart: pulls per image (references when no pull counts). */
  function chart(images, hasPulls) {
    const metric = hasPulls ? (i) => i.pulls || 0 : (i) => i.references;
    const rows = images.slice().sort((a, b) => metric(b) - metric(a) || a.familiar.localeCompare(b.familiar)).slice(0, 20);
    const max = Math.max(1, ...rows.map(metric));
    const title = hasPulls ? 'Pulls per image' : 'References per image (no pull-count source)';
    const list = h('div', { class: 'bars', role: 'list', 'aria-label': title });
    for (const i of rows) {
      const v = metric(i);
      const st = status(i);
      const fill = h('div', { class: `bar-fill ${st.cls}` });
      // CSSOM (not an inline style attribute): allowed by the CSP.
      fill.style.width = `${Math.max(v > 0 ? 0.8 : 0, (v / max) * 100)}%`;
      list.appendChild(
        h(
          'div',
          { class: 'bar-row', role: 'listitem', title: `${i.repository}: ${fmt(v)} ${hasPulls ? 'pulls' : 'references'} (${st.text})` },
          h('div', { class: 'bar-label', title: i.repository }, shorten(i.familiar, 40)),
          h('div', { class: 'bar-track' }, fill),
          h('div', { class: 'bar-value' }, compact(v)),
        ),
      );
    }
    const more = images.length > rows.length ? h('p', { class: 'muted' }, `Top ${rows.length} of ${images.length} images.`) : null;
    const legend = h(
      'div',
      { class: 'legend' },
      h('span', { class: 'swatch third' }), 'third-party',
      h('span', { class: 'swatch ignored' }), 'ignored',
      h('span', { class: 'swatch first' }), 'first-party',
    );
    return h('section', { class: 'chart' }, h('h2', {}, title), rows.length ? list : h('p', { class: 'muted' }, 'Nothing to chart.'), more, legend);
  }

  function sparkline(daily) {
    if (!Array.isArray(daily) || daily.length < 2) return null;
    const w = 80;
    const hgt = 18;
    const max = Math.max(1, ...daily);
    const pts = daily.map((v, k) => `${((k / (daily.length - 1)) * w).toFixed(1)},${(hgt - 1 - (v / max) * (hgt - 2)).toFixed(1)}`).join(' ');
    const svg = s('svg', { class: 'spark', width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': `daily pulls, max ${max}` });
    svg.appendChild(s('polyline', { points: pts, fill: 'none', 'stroke-width': 1.5 }));
    return svg;
  }

  function table(images, hasPulls) {
    const cols = [
      ['familiar', 'Image'],
      ['status', 'Status'],
      ['versions', 'Versions'],
      ['references', 'Refs'],
      ['files', 'Files'],
      ...(hasPulls ? [['pulls', 'Pulls']] : []),
      ['rewriteTo', 'Artifact Registry target'],
    ];
    const key = {
      familiar: (i) => i.familiar,
      status: (i) => status(i).text,
      versions: (i) => i.versions.length,
      references: (i) => i.references,
      files: (i) => i.files.length,
      pulls: (i) => i.pulls ?? -1,
      rewriteTo: (i) => i.rewriteTo || '',
    };
    const sortKey = key[state.sort] ? state.sort : 'references';
    const sorted = images.slice().sort((a, b) => {
      const x = key[sortKey](a);
      const y = key[sortKey](b);
      return (typeof x === 'number' ? x - y : String(x).localeCompare(String(y))) * state.dir || a.familiar.localeCompare(b.familiar);
    });
    const head = h(
      'tr',
      {},
      cols.map(([k, label]) =>
        h(
          'th',
          { scope: 'col', 'aria-sort': k === sortKey ? (state.dir > 0 ? 'ascending' : 'descending') : 'none' },
          h(
            'button',
            {
              class: 'sort',
              onclick: () => {
                if (state.sort === k) state.dir = -state.dir;
                else {
                  state.sort = k;
                  state.dir = k === 'familiar' || k === 'rewriteTo' || k === 'status' ? 1 : -1;
                }
                render();
              },
            },
            label,
            k === sortKey ? (state.dir > 0 ? ' ▲' : ' ▼') : '',
          ),
        ),
      ),
    );
    const body = h('tbody', {});
    for (const i of sorted) {
      const st = status(i);
      const files = h('td', { class: 'files' });
      i.files.slice(0, 4).forEach((f, n) => {
        if (n) files.appendChild(document.createTextNode(', '));
        files.appendChild(h('a', { href: '#', title: f, onclick: (e) => (e.preventDefault(), vscode.postMessage({ type: 'open', uri: f })) }, basename(f)));
      });
      if (i.files.length > 4) files.appendChild(document.createTextNode(` +${i.files.length - 4}`));
      body.appendChild(
        h(
          'tr',
          {},
          h('td', { class: 'image', title: i.repository }, i.familiar, h('div', { class: 'sub' }, i.registry)),
          h('td', {}, h('span', { class: `pill ${st.cls}` }, st.text)),
          h('td', { class: 'versions', title: i.versions.join(', ') }, i.versions.slice(0, 3).join(', ') + (i.versions.length > 3 ? ` +${i.versions.length - 3}` : '')),
          h('td', { class: 'num' }, fmt(i.references)),
          files,
          hasPulls ? h('td', { class: 'num' }, fmt(i.pulls), sparkline(i.daily)) : null,
          h('td', { class: 'target' }, i.rewriteTo || (i.thirdParty ? '(set a target)' : '')),
        ),
      );
    }
    return h('section', {}, h('h2', {}, 'Images'), h('table', {}, h('thead', {}, head), body));
  }

  function render() {
    const d = state.data;
    app.replaceChildren();
    if (!d) {
      app.appendChild(h('p', { class: 'muted' }, 'Loading the migration report…'));
      return;
    }
    const hasPulls = d.images.some((i) => typeof i.pulls === 'number');
    const src = d.pullSource;
    const header = h(
      'header',
      {},
      h('div', {}, h('h1', {}, 'Migration report'), h('div', { class: 'muted' }, `Generated ${new Date(d.generatedAt).toLocaleString()}`)),
      h(
        'div',
        { class: 'actions' },
        h('button', { class: 'secondary', onclick: () => vscode.postMessage({ type: 'refresh' }) }, 'Refresh'),
        h('button', { onclick: () => vscode.postMessage({ type: 'migrate' }) }, 'Migrate workspace…'),
      ),
    );
    const meta = h(
      'dl',
      { class: 'meta' },
      h('dt', {}, 'Target'),
      h('dd', {}, d.target || 'not configured (AR Migrate: Configure target…)'),
      h('dt', {}, 'Pull counts'),
      h('dd', {}, src ? `${src.description}${src.windowDays ? `, last ${src.windowDays} days` : ''}${src.fromCache ? ' (cached)' : ''}` : 'no source configured'),
    );
    const t = d.totals;
    const cards = h(
      'div',
      { class: 'cards' },
      card('third-party images', fmt(t.thirdParty), t.ignored ? `${fmt(t.ignored)} ignored` : undefined),
      card('images in total', fmt(t.images)),
      card('references', fmt(t.references), `${fmt(t.files)} files`),
      hasPulls ? card('pulls', compact(t.pulls), src && src.windowDays ? `${src.windowDays} days` : undefined) : null,
    );
    const filters = h(
      'div',
      { class: 'filters' },
      h('label', {}, h('input', { type: 'checkbox', checked: state.showFirstParty, onchange: (e) => ((state.showFirstParty = e.target.checked), render()) }), ' first-party'),
      h('label', {}, h('input', { type: 'checkbox', checked: state.showIgnored, onchange: (e) => ((state.showIgnored = e.target.checked), render()) }), ' ignored'),
    );
    const imgs = visible(d.images);
    app.append(header, meta, cards, filters);
    if (d.images.length === 0) {
      app.appendChild(h('p', { class: 'muted' }, 'No image references found in this workspace.'));
      return;
    }
    app.append(chart(imgs, hasPulls), table(imgs, hasPulls));
  }

  window.addEventListener('message', (e) => {
    const m = e.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'report') {
      state.data = m.data;
      if (!m.data.images.some((i) => typeof i.pulls === 'number') && state.sort === 'pulls') state.sort = 'references';
      vscode.setState({ data: m.data });
      render();
    } else if (m.type === 'error') {
      app.replaceChildren(h('div', { class: 'error', role: 'alert' }, `Could not build the report: ${m.message}`), h('button', { onclick: () => vscode.postMessage({ type: 'refresh' }) }, 'Try again'));
    }
  });

  const saved = vscode.getState();
  if (saved && saved.data) {
    state.data = saved.data;
    render();
  }
  vscode.postMessage({ type: 'ready' });
})();
