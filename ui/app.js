// Sluice dashboard: runs list and run detail, hash-routed, no build step and no dependencies.
// It reads the KFP v2beta1-shaped API next to it and polls every second while anything shown is
// still running. Server data only ever reaches the page as text (textContent), never as HTML.

const API = 'apis/v2beta1';
const POLL_MS = 1000;
/** The list also refreshes slowly when every run is final, so new runs show up. */
const IDLE_POLL_MS = 5000;
const FINAL_STATES = new Set(['SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED']);
const FILTER_STATES = ['RUNNING', 'PENDING', 'SUCCEEDED', 'FAILED', 'CANCELING', 'CANCELED', 'SKIPPED'];
const TEMPORAL_BASE_KEY = 'sluice.temporalUiBase';
const TEMPORAL_NAMESPACE = 'default';

// ---------- API ----------

/** Fetches JSON from the API; throws an Error carrying the server's message. */
async function api(path, init = {}) {
  const res = await fetch(`${API}${path}`, init);
  signInAgainIf(res);
  const text = await res.text();
  if (!res.ok) throw new Error(errorMessage(text) || `${res.status} ${res.statusText}`);
  return text ? JSON.parse(text) : {};
}

/** The session cookie expired or its token was revoked: back to the login page, which says how to get in. */
function signInAgainIf(res) {
  if (res.status === 401) window.location.assign('login');
}

function errorMessage(text) {
  try {
    const body = JSON.parse(text);
    return body.error_message || body.message;
  } catch {
    return text.trim();
  }
}

const runPath = (runId) => `/runs/${encodeURIComponent(runId)}`;
const logPath = (runId, task, follow) =>
  `${API}${runPath(runId)}/tasks/${encodeURIComponent(task)}/logs${follow ? '?follow=true' : ''}`;

// ---------- Small helpers ----------

/** Builds an element: `h('a', { href, class: 'x' }, 'text', child)`. Children are as for `fill`. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  return fill(el, ...children);
}

/**
 * Replaces `el`'s children. Arrays are flattened, strings become text nodes, and null,
 * undefined and false are skipped, so optional parts can be written inline.
 */
function fill(el, ...children) {
  const nodes = children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false);
  el.replaceChildren(...nodes.map((c) => (c instanceof Node ? c : String(c))));
  return el;
}

const stateOf = (entity) => entity?.state || 'PENDING';
const isFinal = (state) => FINAL_STATES.has(state);

/** A timestamp, or undefined when absent or the epoch (KFP's way of saying "unset"). */
function parseTime(value) {
  if (!value) return undefined;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) || t.getTime() <= 0 ? undefined : t;
}

function formatTime(value) {
  const t = parseTime(value);
  return t ? t.toLocaleString() : '–';
}

function formatDuration(start, end) {
  const from = parseTime(start);
  if (!from) return '–';
  const ms = (parseTime(end) ?? new Date()).getTime() - from.getTime();
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

const formatValue = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

function stateBadge(state) {
  return h('span', { class: `badge state-${state.toLowerCase()}` }, state);
}

/** The pipeline's name, from either form of `pipeline_spec` (bare, or KFP's platform wrapper). */
function pipelineName(run) {
  if (run.pipeline_name) return run.pipeline_name;
  const spec = run.pipeline_spec?.pipelineInfo ? run.pipeline_spec : run.pipeline_spec?.pipeline_spec;
  return spec?.pipelineInfo?.name ?? '–';
}

/** Tasks in start order (unstarted last, name breaks ties), the same order the CLI uses. */
function orderTasks(tasks) {
  const start = (t) => parseTime(t.start_time)?.getTime() ?? Infinity;
  return [...tasks].sort((a, b) => start(a) - start(b) || a.display_name.localeCompare(b.display_name));
}

/** A task's identity: its path (`root/for-loop-2[3]/train`), which the logs endpoint takes. */
const taskKey = (t) => t.task_path ?? t.display_name;

/** A loop shows its iterations one by one up to this many; beyond, one summary row (as the CLI does). */
const MAX_ITERATION_ROWS = 5;

/**
 * The tasks as tree rows `{ depth, task }` or `{ depth, summary, state }`: each task under its
 * parent, siblings in start order, iterations by index, a loop with many iterations summarised.
 */
function taskTree(tasks) {
  const loaded = new Set(tasks.map((t) => t.task_id));
  const children = new Map();
  for (const t of tasks) {
    const parent = loaded.has(t.parent_task_id) ? t.parent_task_id : undefined;
    children.set(parent, [...(children.get(parent) ?? []), t]);
  }
  const rows = [];
  const walk = (parentId, depth, loop) => {
    const kids = children.get(parentId) ?? [];
    const ordered = kids.every((t) => t.iteration_index !== undefined)
      ? [...kids].sort((a, b) => a.iteration_index - b.iteration_index)
      : orderTasks(kids);
    const total = Math.max(kids.length, loop?.child_task_count ?? 0);
    if (loop && total > MAX_ITERATION_ROWS) {
      // The server counts the iterations by state when it lists only some of them.
      let counts = loop.child_task_state_counts;
      if (!counts) {
        counts = {};
        for (const t of kids) counts[stateOf(t)] = (counts[stateOf(t)] ?? 0) + 1;
      }
      const counted = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const parts = Object.entries(counts).map(([state, n]) => `${n} ${state.toLowerCase()}`);
      if (counted < total) parts.push(`${total - counted} not loaded`);
      const state = ['FAILED', 'RUNNING', 'PENDING'].find((s) => counts[s]) ?? 'SUCCEEDED';
      rows.push({ depth, summary: `${total} iterations: ${parts.join(', ')}`, state });
      return;
    }
    for (const t of ordered) {
      rows.push({ depth, task: t });
      walk(t.task_id, depth + 1, t.kind === 'LOOP' ? t : undefined);
    }
  };
  walk(undefined, 0);
  return rows;
}

function setStatus(text, isError = false) {
  const el = document.getElementById('status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

/** Parses `#/runs/abc?task=x` into `{ parts: ['runs', 'abc'], query: URLSearchParams }`. */
function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

/**
 * Calls `tick` now and again after each completion: every `POLL_MS` while it returns true
 * ("something is still moving"), else every `idleMs` (or never, when idleMs is undefined).
 * Returns a function that stops it.
 */
function poll(tick, idleMs) {
  let timer;
  let stopped = false;
  const run = async () => {
    let busy = true;
    try {
      busy = await tick();
      setStatus('');
    } catch (err) {
      setStatus(err.message, true);
    }
    if (stopped) return;
    const delay = busy ? POLL_MS : idleMs;
    if (delay !== undefined) timer = setTimeout(run, delay);
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// ---------- Temporal UI link ----------

function temporalBase() {
  return localStorage.getItem(TEMPORAL_BASE_KEY) || `${location.protocol}//${location.hostname}:8233`;
}

function temporalRunUrl(runId) {
  return `${temporalBase().replace(/\/+$/, '')}/namespaces/${TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(runId)}`;
}

function renderTemporalFooter() {
  const link = document.getElementById('temporal-base');
  link.href = temporalBase();
  link.textContent = temporalBase();
}

document.getElementById('temporal-edit').addEventListener('click', () => {
  const value = prompt('Temporal UI base URL', temporalBase());
  if (value === null) return;
  if (value.trim()) localStorage.setItem(TEMPORAL_BASE_KEY, value.trim());
  else localStorage.removeItem(TEMPORAL_BASE_KEY);
  renderTemporalFooter();
  route();
});

// ---------- Runs list ----------

function runsListPage(root, query) {
  const state = query.get('state') || '';
  const filter = h(
    'div',
    { class: 'filters' },
    ['', ...FILTER_STATES].map((s) =>
      h('a', { href: s ? `#/runs?state=${s}` : '#/runs', class: s === state ? 'chip active' : 'chip' }, s || 'All'),
    ),
  );
  const body = h('div');
  root.replaceChildren(h('h1', {}, 'Runs'), filter, body);

  const params = new URLSearchParams({ page_size: '100', sort_by: 'created_at desc' });
  if (state) params.set('filter', JSON.stringify({ predicates: [{ key: 'state', operation: 'EQUALS', string_value: state }] }));

  const stopPolling = poll(async () => {
    const page = await api(`/runs?${params}`);
    const runs = page.runs ?? [];
    fill(body, runs.length ? runsTable(runs, page.total_size) : h('p', { class: 'muted' }, 'No runs yet. Submit one with `sluice run pipeline.yaml`.'));
    return runs.some((r) => !isFinal(stateOf(r)));
  }, IDLE_POLL_MS);
  return { unmount: stopPolling };
}

function runsTable(runs, total) {
  const rows = runs.map((run) =>
    h(
      'tr',
      {},
      h('td', {}, stateBadge(stateOf(run))),
      h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(run.run_id)}` }, run.display_name || run.run_id)),
      h('td', {}, pipelineName(run)),
      h('td', {}, formatTime(run.created_at)),
      h('td', { class: 'num' }, formatDuration(run.created_at, run.finished_at)),
    ),
  );
  return h(
    'div',
    {},
    h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ['State', 'Name', 'Pipeline', 'Created', 'Duration'].map((c) => h('th', {}, c)))), h('tbody', {}, rows)),
    total > runs.length ? h('p', { class: 'muted' }, `Showing the newest ${runs.length} of ${total} runs.`) : null,
  );
}

// ---------- Run detail ----------

/** The run page. `update(query)` changes the selected task without refetching or losing scroll. */
function runDetailPage(root, runId) {
  let selected;
  let lastRun;
  const summary = h('section');
  const tasks = h('section');
  const taskInfo = h('div');
  const log = new LogView(runId);
  // The log element is attached once: re-renders never touch it, so an open stream and the
  // reader's scroll position survive polling.
  const taskPanel = h('section', { class: 'task-panel', hidden: true }, taskInfo, log.el);
  const artifacts = h('section');
  root.replaceChildren(summary, tasks, taskPanel, artifacts);

  const render = () => {
    if (!lastRun) return;
    const taskList = orderTasks(lastRun.run_details?.task_details ?? []);
    fill(summary, runSummary(lastRun));
    fill(tasks, h('h2', {}, 'Tasks'), taskList.length ? tasksTable(runId, taskList, selected) : h('p', { class: 'muted' }, 'No tasks yet.'));
    const task = taskList.find((t) => taskKey(t) === selected);
    taskPanel.hidden = !task;
    if (task) {
      fill(taskInfo, taskDetail(task));
      log.show(task);
    } else {
      log.stop();
    }
  };

  const stopPolling = poll(async () => {
    const [run, arts] = await Promise.all([api(runPath(runId)), api(`${runPath(runId)}/artifacts`).catch(() => ({ artifacts: [] }))]);
    lastRun = run;
    render();
    fill(artifacts, artifactsSection(arts.artifacts ?? []));
    return !isFinal(stateOf(run));
  });
  return {
    update(query) {
      selected = query.get('task') ?? undefined;
      render();
    },
    unmount() {
      stopPolling();
      log.stop();
    },
  };
}

function runSummary(run) {
  const state = stateOf(run);
  const params = Object.entries(run.runtime_config?.parameters ?? {});
  const fields = [
    ['Run ID', h('code', {}, run.run_id)],
    ['Pipeline', pipelineName(run)],
    ['Experiment', run.experiment_id || '–'],
    ['Created', formatTime(run.created_at)],
    ['Finished', formatTime(run.finished_at)],
    ['Duration', formatDuration(run.created_at, run.finished_at)],
    ['Parameters', params.length ? params.map(([k, v]) => h('code', { class: 'param' }, `${k}=${formatValue(v)}`)) : '–'],
  ];
  if (run.recurring_run_id) fields.push(['Recurring run', h('code', {}, run.recurring_run_id)]);
  if (run.retry_count) fields.push(['Retries', String(run.retry_count)]);
  const artifacts = Object.entries(run.runtime_config?.input_artifacts ?? {});
  if (artifacts.length) {
    fields.push(['Input artifacts', artifacts.map(([k, a]) => h('code', { class: 'param' }, `${k}=${(a.artifact_ids ?? [a.artifact_id]).join(',')}`))]);
  }
  const terminate = isFinal(state) || state === 'CANCELING'
    ? null
    : h('button', { type: 'button', class: 'danger', onclick: () => terminateRun(run.run_id) }, 'Terminate');
  // As the API allows: a failed or canceled run resumes in place, its succeeded tasks reused.
  const retry = state === 'FAILED' || state === 'CANCELED'
    ? h('button', { type: 'button', onclick: () => retryRun(run.run_id) }, 'Retry')
    : null;
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, '← Runs')),
    h('div', { class: 'title' }, h('h1', {}, run.display_name || run.run_id), stateBadge(state)),
    h('div', { class: 'actions' }, h('a', { href: temporalRunUrl(run.run_id), target: '_blank', rel: 'noopener' }, 'Open in Temporal UI ↗'), terminate, retry),
    h('dl', { class: 'fields' }, fields.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    run.error?.message ? h('pre', { class: 'error-box' }, run.error.message) : null,
  ];
}

async function terminateRun(runId) {
  if (!confirm(`Terminate run ${runId}? Its running tasks are stopped.`)) return;
  try {
    await api(`${runPath(runId)}:terminate`, { method: 'POST' });
  } catch (err) {
    setStatus(err.message, true);
  }
}

async function retryRun(runId) {
  if (!confirm(`Retry run ${runId}? Its tasks that did not succeed run again; succeeded ones keep their outputs.`)) return;
  try {
    await api(`${runPath(runId)}:retry`, { method: 'POST' });
  } catch (err) {
    setStatus(err.message, true);
  }
}

function tasksTable(runId, tasks, selected) {
  const rows = taskTree(tasks).map((row) => {
    const indent = { style: `padding-left: ${0.5 + row.depth * 1.25}rem` };
    if (!row.task) {
      return h('tr', { class: 'summary' }, h('td', indent, h('span', { class: 'muted' }, `… ${row.summary}`)), h('td', {}, stateBadge(row.state)), h('td', { colspan: 5 }));
    }
    const t = row.task;
    const href = `#/runs/${encodeURIComponent(runId)}?task=${encodeURIComponent(taskKey(t))}`;
    const outputs = Object.entries(t.output_parameters ?? {});
    return h(
      'tr',
      { class: taskKey(t) === selected ? 'selected' : undefined },
      h('td', indent, h('a', { href, title: taskKey(t) }, t.display_name), t.state_reason ? h('span', { class: 'muted' }, ` (${t.state_reason})`) : null),
      h('td', {}, stateBadge(stateOf(t))),
      h('td', { class: 'num' }, t.attempts ?? '–'),
      h('td', {}, formatTime(t.start_time)),
      h('td', { class: 'num' }, formatDuration(t.start_time, t.end_time)),
      h('td', {}, h('code', {}, t.pod_name || '–')),
      h('td', {}, outputs.length ? outputs.map(([k, v]) => h('code', { class: 'param' }, `${k}=${formatValue(v)}`)) : '–'),
    );
  });
  const head = ['Task', 'State', 'Attempts', 'Started', 'Duration', 'Pod / process', 'Output parameters'];
  return h('table', { class: 'table' }, h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))), h('tbody', {}, rows));
}

function taskDetail(task) {
  const inputs = Object.entries(task.input_parameters ?? {});
  const resources = Object.entries(task.resources ?? {});
  return [
    h('h2', {}, `Task ${task.display_name}`),
    h('p', { class: 'muted' }, h('code', {}, taskKey(task)), task.kind && task.kind !== 'CONTAINER' ? ` · ${task.kind}` : ''),
    inputs.length ? h('p', {}, 'Inputs: ', inputs.map(([k, v]) => h('code', { class: 'param' }, `${k}=${formatValue(v)}`))) : null,
    resources.length ? h('p', {}, 'Resources: ', resources.map(([k, v]) => h('code', { class: 'param' }, `${k}=${formatValue(v)}`))) : null,
    task.error?.message ? h('pre', { class: 'error-box' }, task.error.message) : null,
    h('h3', {}, 'Log', stateOf(task) === 'RUNNING' ? h('span', { class: 'live' }, '● live') : null),
  ];
}

/**
 * A task's log. While the task runs it streams `?follow=true` and appends as text arrives;
 * once the task is final it is fetched once. It survives the page's re-renders (the same
 * element is re-attached), so scrolling and the open stream are not disturbed by polling.
 */
class LogView {
  constructor(runId) {
    this.runId = runId;
    this.el = h('pre', { class: 'log' });
    this.task = undefined;
    this.controller = undefined;
    this.loaded = false;
  }

  show(task) {
    const state = stateOf(task);
    if (taskKey(task) !== this.task) {
      this.stop();
      this.task = taskKey(task);
      this.loaded = false;
      this.el.textContent = '';
    }
    if (this.loaded || this.controller) return;
    if (task.kind && task.kind !== 'CONTAINER' && task.kind !== 'IMPORTER') {
      this.el.textContent = `(a ${task.kind.toLowerCase()} task runs no process of its own: see the tasks inside it)`;
      return;
    }
    if (state === 'PENDING' || state === 'SKIPPED') {
      this.el.textContent = state === 'SKIPPED' ? `(skipped: never ran${task.state_reason ? `, ${task.state_reason}` : ''})` : '(waiting for the task to start)';
      return;
    }
    this.load(!isFinal(state));
  }

  async load(follow) {
    const controller = new AbortController();
    this.controller = controller;
    try {
      const res = await fetch(logPath(this.runId, this.task, follow), { signal: controller.signal });
      signInAgainIf(res);
      if (res.status === 404) {
        this.el.textContent = '(no log yet)';
        return;
      }
      if (!res.ok) throw new Error(errorMessage(await res.text()) || `${res.status} ${res.statusText}`);
      this.el.textContent = '';
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.append(decoder.decode(value, { stream: true }));
      }
      this.append(decoder.decode());
      if (!this.el.textContent) this.el.textContent = '(empty log)';
      this.loaded = true;
    } catch (err) {
      if (err.name !== 'AbortError') this.el.textContent = `(could not load the log: ${err.message})`;
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }

  /** Appends text, keeping the view pinned to the bottom if the reader was already there. */
  append(text) {
    if (!text) return;
    const atBottom = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 24;
    this.el.append(text);
    if (atBottom) this.el.scrollTop = this.el.scrollHeight;
  }

  stop() {
    this.controller?.abort();
    this.controller = undefined;
  }
}

// ---------- Artifacts ----------

/** Expects `{ artifacts: [{ artifact_id, name, uri, schema_title, metadata, producer_task_path, output_key }] }`. */
function artifactsSection(artifacts) {
  if (!artifacts.length) return [];
  return [h('h2', {}, 'Artifacts'), ...artifacts.map(artifactCard)];
}

function artifactCard(a) {
  const type = a.schema_title || 'system.Artifact';
  const metadata = a.metadata ?? {};
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'card-head' }, h('strong', {}, a.producer_task_path ? `${a.producer_task_path.replace(/^root\//, '')} · ${a.output_key || a.name}` : a.name), h('span', { class: 'type' }, type)),
    h('div', { class: 'uri' }, h('code', {}, a.uri)),
    type === 'system.Metrics' ? metricsTable(metadata) : null,
    type === 'system.ClassificationMetrics' ? classificationMetrics(metadata) : null,
    type !== 'system.Metrics' && type !== 'system.ClassificationMetrics' && Object.keys(metadata).length
      ? h('pre', { class: 'metadata' }, JSON.stringify(metadata, null, 2))
      : null,
  );
}

/** KFP's Metrics artifact keeps each logged scalar as a metadata entry. */
function metricsTable(metadata) {
  const entries = Object.entries(metadata).filter(([k]) => k !== 'display_name');
  if (!entries.length) return h('p', { class: 'muted' }, 'No metrics logged.');
  return h(
    'table',
    { class: 'table compact' },
    h('tbody', {}, entries.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', { class: 'num' }, formatValue(v))))),
  );
}

/** KFP's ClassificationMetrics: `confusionMatrix: { annotationSpecs: [{displayName}], rows: [{row: [n…]}] }`. */
function classificationMetrics(metadata) {
  const matrix = metadata.confusionMatrix;
  const parts = [];
  if (matrix?.annotationSpecs && matrix?.rows) {
    const labels = matrix.annotationSpecs.map((s) => s.displayName);
    const max = Math.max(1, ...matrix.rows.flatMap((r) => r.row ?? []));
    parts.push(
      h('p', { class: 'caption' }, 'Confusion matrix (rows: actual, columns: predicted)'),
      h(
        'table',
        { class: 'table compact matrix' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), labels.map((l) => h('th', {}, l)))),
        h(
          'tbody',
          {},
          matrix.rows.map((r, i) =>
            h('tr', {}, h('th', {}, labels[i] ?? ''), (r.row ?? []).map((n) => h('td', { class: 'num', style: `--heat:${(n / max).toFixed(2)}` }, n))),
          ),
        ),
      ),
    );
  }
  if (Array.isArray(metadata.confidenceMetrics)) {
    parts.push(h('p', { class: 'muted' }, `ROC curve: ${metadata.confidenceMetrics.length} points (confidenceMetrics).`));
  }
  return parts.length ? h('div', {}, parts) : h('pre', { class: 'metadata' }, JSON.stringify(metadata, null, 2));
}

// ---------- Router ----------

/** The mounted page: `{ unmount(), update?(query) }`, and the hash path it was mounted for. */
let page = { unmount() {} };
let pagePath = '';

function route() {
  const { parts, query } = parseHash();
  const path = parts.join('/');
  if (page.update && path === pagePath) {
    page.update(query);
    return;
  }
  page.unmount();
  setStatus('');
  const root = document.getElementById('app');
  if (parts[0] === 'runs' && parts[1]) page = runDetailPage(root, parts[1]);
  else if (!parts.length || parts[0] === 'runs') page = runsListPage(root, query);
  else {
    root.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/runs' }, 'Back to runs')));
    page = { unmount() {} };
  }
  pagePath = path;
  page.update?.(query);
}

window.addEventListener('hashchange', route);
renderTemporalFooter();
route();
