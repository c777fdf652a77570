// The operator console's page: reads /api/* and draws it; actions carry the token in a header.
// Plain ES module served as-is (no build step); every value is inserted as text, never as HTML.

const TOKEN_KEY = 'evergreen-console-token';
const FAST_MS = 5_000;
const SLOW_MS = 30_000;

/** An element with attributes and children (strings become text nodes). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  return node;
}

const badge = (healthy, text, warn = false) => el('span', { class: `badge ${healthy ? 'ok' : warn ? 'warn' : 'bad'}` }, `${healthy ? '✔' : '✘'} ${text}`);
const body = (selector) => document.querySelector(`${selector} tbody`);
const fill = (tbody, rows) => tbody.replaceChildren(...rows);

function bytes(value) {
  if (value === null || value === undefined) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${scaled.toFixed(1)} ${units[unit]}`;
}
const seconds = (value) => (value === null || value === undefined ? 'n/a' : value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(1)} s`);

const token = () => sessionStorage.getItem(TOKEN_KEY);

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.detail ?? `HTTP ${response.status}`);
  return answer;
}

/** POSTs an action with the token as a bearer header and a JSON body; rejects with the problem's detail. */
async function act(path, payload = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token()) headers.authorization = `Bearer ${token()}`;
  const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(payload) });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${response.status} ${answer.title ?? ''}: ${answer.detail ?? ''}`);
  return answer;
}

function showError(section, error) {
  const tbody = body(section);
  if (tbody) fill(tbody, [el('tr', {}, el('td', { colspan: 9, class: 'bad-text' }, `✘ ${error.message}`))]);
}

async function loadComponents() {
  const components = await getJson('/api/components');
  const down = components.filter((component) => !component.healthy);
  const summary = document.querySelector('#components-summary');
  summary.replaceChildren(down.length === 0 ? badge(true, `all ${components.length} healthy`) : badge(false, `${down.length} of ${components.length} not healthy: ${down.map((component) => component.name).join(', ')}`));
  fill(
    body('#components'),
    components.map((component) =>
      el(
        'tr',
        { 'data-component': component.name, 'data-kind': component.kind, 'data-healthy': String(component.healthy) },
        el('td', {}, badge(component.healthy, component.state)),
        el('td', {}, component.name),
        el('td', {}, component.kind),
        el('td', { class: 'muted' }, component.detail),
        el('td', {}, component.restart ? el('button', { type: 'button', onclick: () => restart(component.restart) }, 'Restart') : ''),
      ),
    ),
  );
}

async function restart(target) {
  const what = target.task === undefined ? target.connector : `${target.connector} task ${target.task}`;
  if (!confirm(`Restart ${what}?`)) return;
  try {
    await act(`/api/connectors/${encodeURIComponent(target.connector)}/restart`, target.task === undefined ? {} : { task: target.task });
    setStatus('#restart-result', true, `restarted ${what}`);
  } catch (error) {
    setStatus('#restart-result', false, `restart of ${what}: ${error.message}`);
  }
  void loadComponents().catch((error) => showError('#components', error));
}

async function loadRelay() {
  const relays = await getJson('/api/relay');
  fill(
    body('#relay'),
    relays.map((relay) =>
      el(
        'tr',
        { 'data-connector': relay.connector, 'data-relaying': String(relay.relaying) },
        el('td', {}, badge(relay.relaying, relay.relaying ? 'relaying' : 'not relaying')),
        el('td', {}, `${relay.connector} (${relay.connectorState})`, el('br'), el('span', { class: 'muted' }, `slot ${relay.slot}, db ${relay.database}`)),
        el('td', {}, bytes(relay.lagBytes)),
        el('td', {}, bytes(relay.retainedWalBytes)),
        el('td', {}, relay.walStatus ?? 'n/a'),
        el('td', {}, relay.heartbeatAgeSeconds === null ? 'none' : `${seconds(relay.heartbeatAgeSeconds)} ago`),
        el('td', { class: 'bad-text' }, relay.problems.join('; ')),
      ),
    ),
  );
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}
const COLOURS = ['#2271b1', '#d63638', '#00a32a', '#996800', '#8c5fb8', '#135e96'];

/** The commit → apply latency chart: p50 solid, p99 dashed, one colour per consumer, the last 15 minutes. */
function drawLatency(series) {
  const width = 720;
  const height = 200;
  const left = 52;
  const bottom = 22;
  const now = Date.now();
  // The last 15 minutes at most; less while the console has not seen that much, so early points spread out.
  const oldest = Math.min(now, ...series.flatMap((entry) => entry.points.map((point) => point.atMs)));
  const from = Math.max(now - 15 * 60_000, Math.min(now - 60_000, oldest - 5_000));
  const values = series.flatMap((entry) => entry.points.flatMap((point) => [point.p50Seconds, point.p99Seconds])).filter((value) => value !== null);
  const top = Math.max(0.01, ...values) * 1.1;
  const x = (atMs) => left + ((atMs - from) / (now - from)) * (width - left - 8);
  const y = (value) => height - bottom - (value / top) * (height - bottom - 8);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img' });
  chart.append(svg('title', {}, 'commit → cache latency, p50 (solid) and p99 (dashed), last 15 minutes'));
  chart.append(svg('line', { class: 'axis', x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
  chart.append(svg('line', { class: 'axis', x1: left, y1: 4, x2: left, y2: height - bottom }));
  for (const fraction of [0, 0.5, 1]) {
    chart.append(svg('text', { x: 4, y: y(top * fraction) + 4 }, seconds(top * fraction)));
  }
  chart.append(svg('text', { x: left, y: height - 4 }, `−${Math.round((now - from) / 60_000)} min`));
  chart.append(svg('text', { x: width - 30, y: height - 4 }, 'now'));
  series.forEach((entry, index) => {
    const colour = COLOURS[index % COLOURS.length];
    for (const [field, dash] of [['p50Seconds', ''], ['p99Seconds', '5 4']]) {
      const points = entry.points.filter((point) => point[field] !== null && point.atMs >= from).map((point) => `${x(point.atMs).toFixed(1)},${y(point[field]).toFixed(1)}`);
      if (points.length > 0) chart.append(svg('polyline', { points: points.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dash }));
      // A dot per point, so an interval alone between quiet ones still shows.
      for (const point of points) {
        const [cx, cy] = point.split(',');
        chart.append(svg('circle', { cx, cy, r: 2.5, fill: colour }));
      }
    }
    // The newest interval in which records were applied: a quiet one has no percentiles.
    const last = entry.points.filter((point) => point.count > 0).at(-1);
    const legend = last ? `p50 ${seconds(last.p50Seconds)}, p99 ${seconds(last.p99Seconds)} (${last.count} records, ${new Date(last.atMs).toLocaleTimeString()})` : 'nothing applied in the last 15 minutes';
    chart.append(svg('text', { x: left + 8, y: 14 + index * 14, fill: colour, 'data-consumer': entry.consumer }, `${entry.consumer}: ${legend}`));
  });
  if (series.length === 0) chart.append(svg('text', { x: left + 8, y: 20 }, 'no latency yet: a point comes with each reading of the consumers after the first'));
  document.querySelector('#latency-chart').replaceChildren(chart);
}

async function loadConsumers() {
  const view = await getJson('/api/consumers');
  drawLatency(view.latency);
  fill(
    body('#rates'),
    view.rates.map((rate) => el('tr', {}, el('td', {}, rate.consumer), el('td', {}, rate.service), el('td', {}, rate.recordsPerSecond === null ? 'n/a' : rate.recordsPerSecond.toFixed(1)))),
  );
  fill(
    body('#partitions'),
    view.partitions.map((entry) =>
      el(
        'tr',
        {},
        el('td', {}, entry.consumer),
        el('td', {}, entry.topic),
        el('td', {}, entry.partition),
        el('td', {}, entry.lagRecords ?? 'n/a'),
        el('td', {}, entry.lagAgeSeconds === null ? 'n/a' : seconds(entry.lagAgeSeconds)),
      ),
    ),
  );
  fill(
    body('#stuck'),
    view.stuck.length === 0
      ? [el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'no partition is retrying a record'))]
      : view.stuck.map((entry) =>
          el(
            'tr',
            {},
            el('td', {}, entry.consumer),
            el('td', {}, entry.group),
            el('td', {}, `${entry.topic}:${entry.partition}:${entry.offset}`),
            el('td', { class: 'bad-text' }, seconds(entry.seconds)),
            el('td', {}, el('button', { type: 'button', class: 'park', 'data-record': `${entry.topic}:${entry.partition}:${entry.offset}`, onclick: () => void park(entry) }, 'Park')),
          ),
        ),
  );
  document.querySelector('#consumers-unreachable').textContent = view.unreachable.map((entry) => `✘ ${entry.service}: ${entry.error}`).join('; ');
}

/** Moves the record aside, as `npm run dlq -- park` does: to its dead-letter topic, reason parked. */
async function park(entry) {
  const record = `${entry.topic}:${entry.partition}:${entry.offset}`;
  if (!confirm(`Move ${record} to the dead-letter topic (reason parked) so that ${entry.group} goes on? Replay it once its cause is fixed.`)) return;
  setStatus('#park-result', true, `parking ${record} for ${entry.group}…`);
  try {
    const answer = await act('/api/consumers/park', { group: entry.group, topic: entry.topic, partition: entry.partition, offset: entry.offset });
    setStatus('#park-result', true, `parked ${record} for ${answer.group}: it is in the dead-letter topic (committed offset ${answer.committed})`);
  } catch (error) {
    setStatus('#park-result', false, `${record}: ${error.message}`);
  }
  void loadConsumers().catch((error) => setStatus('#park-result', false, error.message));
}

function payloadOf(letter) {
  switch (letter.payload.kind) {
    case 'avro':
      return el('details', {}, el('summary', {}, `${letter.payload.writer} (schema id ${letter.payload.schemaId})`), el('pre', {}, JSON.stringify(letter.payload.value, null, 2)));
    case 'none':
      return el('span', { class: 'muted' }, 'no payload');
    default:
      return el('span', { class: 'bad-text' }, `not decodable: ${letter.payload.error}`);
  }
}

async function loadDeadLetters() {
  const group = document.querySelector('#dead-letter-group').value.trim();
  const view = await getJson(`/api/dead-letters${group ? `?group=${encodeURIComponent(group)}` : ''}`);
  const container = document.querySelector('#dead-letter-topics');
  // A refresh keeps what the operator selected.
  const selected = new Set([...container.querySelectorAll('input[type=checkbox]:checked')].map((box) => `${box.dataset.topic}|${box.value}`));
  if (view.topics.length === 0) {
    container.replaceChildren(el('p', { class: 'muted' }, 'no dead-letter topic yet'));
    return;
  }
  container.replaceChildren(
    ...view.topics.map((topic) =>
      el(
        'div',
        { 'data-topic': topic.topic },
        el('h3', {}, `${topic.topic}: ${topic.total} dead letter${topic.total === 1 ? '' : 's'}${topic.shown.length < topic.total ? `, the newest ${topic.shown.length} shown` : ''}`),
        el(
          'table',
          {},
          el('thead', {}, el('tr', {}, ...['', 'Position', 'Reason', 'Group', 'From', 'Key', 'Event', 'Error', 'Payload', 'At'].map((title) => el('th', {}, title)))),
          el(
            'tbody',
            {},
            topic.shown.map((letter) =>
              el(
                'tr',
                { 'data-position': letter.position, 'data-key': letter.key ?? '' },
                el('td', {}, el('input', { type: 'checkbox', 'aria-label': `select ${letter.position}`, 'data-topic': topic.topic, value: letter.position, checked: selected.has(`${topic.topic}|${letter.position}`) })),
                el('td', {}, letter.position),
                el('td', {}, el('span', { class: 'badge warn' }, letter.reason ?? '-')),
                el('td', {}, letter.group ?? '-'),
                el('td', {}, letter.origin ?? '-', letter.replayedFrom ? el('div', { class: 'muted' }, `replay of ${letter.replayedFrom}`) : ''),
                el('td', {}, letter.key ?? '-'),
                el('td', {}, letter.eventType ?? '-'),
                el('td', { class: 'bad-text' }, letter.error ?? '-'),
                el('td', {}, payloadOf(letter)),
                el('td', { class: 'muted' }, new Date(letter.writtenAtMs).toLocaleString()),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function setStatus(selector, ok, text) {
  const node = document.querySelector(selector);
  node.className = ok ? 'ok' : 'bad';
  node.textContent = `${ok ? '✔' : '✘'} ${text}`;
}

async function replaySelected() {
  const chosen = [...document.querySelectorAll('#dead-letter-topics input[type=checkbox]:checked')];
  if (chosen.length === 0) return setStatus('#replay-result', false, 'select the dead letters to replay first');
  const byTopic = new Map();
  for (const box of chosen) byTopic.set(box.dataset.topic, [...(byTopic.get(box.dataset.topic) ?? []), box.value]);
  const lines = [];
  let ok = true;
  for (const [topic, positions] of byTopic) {
    try {
      const answer = await act('/api/dead-letters/replay', { topic, positions });
      lines.push(...answer.replayed.map((entry) => `replayed ${entry.from.partition}:${entry.from.offset} → ${entry.topic}/${entry.partition}@${entry.offset} for ${entry.group}`));
    } catch (error) {
      ok = false;
      lines.push(`${topic}: ${error.message}`);
    }
  }
  setStatus('#replay-result', ok, lines.join('; '));
  void loadDeadLetters().catch((error) => setStatus('#replay-result', false, error.message));
}

function drawDrift(view) {
  const state = document.querySelector('#drift-state');
  const last = view.last;
  for (const button of document.querySelectorAll('#verify, #repair')) button.disabled = view.running !== null;
  if (view.running) {
    state.className = '';
    state.textContent = `${view.running} running…`;
  } else if (!last) {
    state.className = '';
    state.textContent = 'not verified since the console started';
  } else {
    const drifted = last.reports.reduce((sum, report) => sum + report.drifted, 0);
    const repaired = last.repaired ? ` after re-emitting ${last.repaired.restated + last.repaired.bumped} user(s) and ${last.repaired.deletions} deletion(s)` : '';
    setStatus('#drift-state', drifted === 0, `${last.action} at ${new Date(last.finishedAt).toLocaleTimeString()}${repaired}: ${drifted === 0 ? 'no drift' : `${drifted} drifted`}${last.notConverged ? ` (${last.notConverged})` : ''}`);
  }
  fill(
    body('#drift'),
    (last?.reports ?? []).map((report) =>
      el(
        'tr',
        {},
        el('td', {}, report.projection),
        el('td', {}, report.checked),
        el('td', {}, badge(report.drifted === 0, String(report.drifted))),
        el('td', {}, Object.entries(report.counts).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(', ') || '-'),
        el('td', { class: 'muted' }, report.examples.map((example) => `${example.id} (${example.kind})`).join(', ')),
      ),
    ),
  );
}

async function driftAction(action) {
  document.querySelector('#drift-state').textContent = `${action} running…`;
  try {
    drawDrift(await act(`/api/drift/${action}`));
  } catch (error) {
    setStatus('#drift-state', false, `${action}: ${error.message}`);
  }
}

async function loadSchemas() {
  const subjects = await getJson('/api/schemas');
  fill(body('#schemas'), subjects.map((subject) => el('tr', {}, el('td', {}, subject.subject), el('td', {}, subject.versions.join(', ')), el('td', {}, subject.compatibility ?? 'n/a'))));
}

function showToken() {
  document.querySelector('#token-state').textContent = token() ? 'actions enabled in this tab' : 'read-only (no token)';
}

async function refresh(loaders) {
  await Promise.all(loaders.map(([section, load]) => load().catch((error) => showError(section, error))));
  document.querySelector('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

const fast = [
  ['#components', loadComponents],
  ['#relay', loadRelay],
  ['#consumers', loadConsumers],
];
const slow = [
  ['#dead-letters', loadDeadLetters],
  ['#schemas', loadSchemas],
  ['#drift', async () => drawDrift(await getJson('/api/drift'))],
];

document.querySelector('#token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.querySelector('#token');
  if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = '';
  showToken();
});
document.querySelector('#token-forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showToken();
});
document.querySelector('#dead-letter-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh([slow[0]]);
});
document.querySelector('#replay').addEventListener('click', () => void replaySelected());
document.querySelector('#verify').addEventListener('click', () => void driftAction('verify'));
document.querySelector('#repair').addEventListener('click', () => {
  if (confirm('Re-emit the current state of every drifted user through the outbox?')) void driftAction('repair');
});

showToken();
void refresh([...fast, ...slow]);
setInterval(() => void refresh(fast), FAST_MS);
setInterval(() => void refresh(slow), SLOW_MS);
