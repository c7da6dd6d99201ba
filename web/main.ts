/**
 * The live status page (docs/status-page.md): what `keepalived-ts status` shows, kept current by
 * the daemon's event stream (`api/events`: hello, feed, status), with the last minutes charted
 * from the pushes and, with --web-control, drain and enable buttons.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Chart, History, type Sample } from './charts.js';
import { el, reconcile, setData, setText } from './dom.js';
import { ago, clock, describeEvent, duration, lastCheck, rsEndpoint, vsEndpoint } from './format.js';
import {
  CONTROL_HEADER,
  type ControlAnswer,
  type DaemonStatus,
  type FeedEntry,
  type Hello,
  type RealServerStatus,
  type RsRequest,
  type VirtualServerStatus,
  type VrrpInstanceStatus,
} from './protocol.js';

const MAX_EVENTS = 100;
/** A stream silent for this long is shown as stale (pushes come every second). */
const STALE_MS = 5000;
const RETRY_MS = 5000;

const byId = (id: string): HTMLElement => {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} missing from index.html`);
  return e;
};

const ui = {
  daemon: byId('daemon'),
  live: byId('live'),
  vrrp: byId('vrrp-body'),
  lvs: byId('lvs-body'),
  events: byId('event-list'),
  toast: byId('toast'),
};

let hello: Hello | null = null;
let status: DaemonStatus | null = null;
let lastMessageAt = 0;
const events: FeedEntry[] = [];
const connHistory = new History();
const latencyHistory = new History();
const connChart = new Chart(byId('chart-conn'), 'Connections', '');
const latencyChart = new Chart(byId('chart-latency'), 'Check latency', 'ms');

// ---------------------------------------------------------------------------------------------
// Rendering

function setLive(state: 'live' | 'connecting' | 'stale' | 'down', text: string): void {
  setData(ui.live, 'state', state);
  setText(ui.live, text);
}

function renderHeader(s: DaemonStatus, now: number): void {
  const reload =
    s.lastReload === null
      ? ''
      : `, last reload ${ago(s.lastReload.at, now)} ${s.lastReload.applied ? 'applied' : 'refused'}`;
  setText(
    ui.daemon,
    `${s.version}, pid ${s.pid}, up ${duration(now - Date.parse(s.startedAt))}, config ${s.configFile}${reload}`,
  );
}

function cell(text = '', cls = ''): HTMLTableCellElement {
  return el('td', cls === '' ? {} : { class: cls }, text);
}

function renderVrrp(s: DaemonStatus, now: number): void {
  if (s.vrrp === null) {
    ui.vrrp.replaceChildren(el('p', { class: 'note' }, 'The VRRP subsystem is not running.'));
    return;
  }
  let body = ui.vrrp.querySelector('tbody');
  if (body === null) {
    const head = el(
      'tr',
      {},
      ...['Name', 'State', 'Priority', 'Master', 'VIPs', 'In state', 'Last transition'].map((h) =>
        el('th', {}, h),
      ),
    );
    body = el('tbody');
    ui.vrrp.replaceChildren(el('table', { class: 'grid' }, el('thead', {}, head), body));
  }
  reconcile(
    body,
    s.vrrp.instances,
    (i) => i.name,
    () => el('tr', { class: 'instance' }, ...Array.from({ length: 7 }, () => cell())),
    (row, i: VrrpInstanceStatus) => {
      setData(row, 'instance', i.name);
      setData(row, 'state', i.state);
      const c = row.cells;
      setText(c[0]!, i.name);
      const extra = i.standby ? ' (standby)' : i.fault !== null ? ` (${i.fault})` : '';
      setText(c[1]!, `${i.state}${extra}`);
      c[1]!.className = `state state-${i.state.toLowerCase()}`;
      setText(c[2]!, `${i.effectivePriority} / ${i.basePriority}`);
      c[2]!.title = 'effective / base';
      setText(c[3]!, i.masterAddress ?? '-');
      setText(c[4]!, i.vips.join(', ') || '-');
      setText(c[5]!, duration(i.inStateMs));
      const t = i.lastTransition;
      setText(c[6]!, t === null ? '-' : `${t.from} → ${t.to} (${t.reason}) ${ago(t.at, now)}`);
    },
  );
}

function vsSummary(vs: VirtualServerStatus): string {
  const sorry =
    vs.sorryServer === null
      ? ''
      : `, sorry server [${vs.sorryServer.address}]:${vs.sorryServer.port}${vs.sorryServer.active ? ' IN USE' : ''}`;
  const conns = vs.counters === null ? '' : `, ${vs.counters.connections} connections`;
  return `${vs.scheduler}, quorum ${vs.quorum} ${vs.quorumUp ? 'met' : 'LOST'} (weight sum ${vs.weightSum})${sorry}${conns}`;
}

const RS_COLUMNS = [
  'Real server',
  'Health',
  'Weight',
  'Conf',
  'Drain',
  'Active',
  'Inactive',
  'Conns',
  'Last check',
];

function createVs(): HTMLElement {
  const head = el('tr', {}, ...RS_COLUMNS.map((h) => el('th', {}, h)), el('th', { class: 'actions' }));
  return el(
    'section',
    { class: 'vs' },
    el('h3', {}, el('span', { class: 'vs-name' }), ' ', el('span', { class: 'vs-summary' })),
    el('table', { class: 'grid' }, el('thead', {}, head), el('tbody')),
  );
}

function updateVs(section: HTMLElement, vs: VirtualServerStatus, now: number): void {
  setData(section, 'vsKey', vs.key);
  setText(section.querySelector('.vs-name')!, vs.name);
  setText(section.querySelector('.vs-summary')!, vsSummary(vs));
  section.classList.toggle('quorum-lost', !vs.quorumUp);
  const controls = hello?.webControl === true;
  section.querySelector('th.actions')!.toggleAttribute('hidden', !controls);
  reconcile(
    section.querySelector('tbody')!,
    vs.realServers,
    (rs) => rs.key,
    () =>
      el(
        'tr',
        { class: 'rs' },
        ...Array.from({ length: RS_COLUMNS.length }, () => cell()),
        el('td', { class: 'actions' }),
      ),
    (row, rs: RealServerStatus) => updateRs(row, vs, rs, now, controls),
  );
}

function updateRs(
  row: HTMLTableRowElement,
  vs: VirtualServerStatus,
  rs: RealServerStatus,
  now: number,
  controls: boolean,
): void {
  setData(row, 'rsKey', rs.key);
  setData(row, 'health', rs.healthy ? 'up' : 'down');
  setData(row, 'drained', String(rs.drained));
  row.className = `rs ${rs.drained ? 'drained' : rs.healthy ? 'up' : 'down'}`;
  const c = row.cells;
  const k = rs.counters;
  setText(c[0]!, rs.name);
  setText(c[1]!, rs.healthy ? 'up' : 'down');
  setText(c[2]!, rs.inTable ? String(rs.weight) : '-');
  setText(c[3]!, String(rs.configuredWeight));
  setText(c[4]!, rs.drained ? `drained ${rs.drainedAt === null ? '' : ago(rs.drainedAt, now)}`.trim() : '-');
  setText(c[5]!, k === null ? '-' : String(k.activeConnections));
  setText(c[6]!, k === null ? '-' : String(k.inactiveConnections));
  setText(c[7]!, k === null ? '-' : String(k.connections));
  setText(c[8]!, lastCheck(rs, now));
  const actions = c[RS_COLUMNS.length]!;
  actions.hidden = !controls;
  if (!controls) {
    actions.replaceChildren();
    return;
  }
  const action = rs.drained ? 'enable' : 'drain';
  let button = actions.querySelector('button');
  if (button === null) {
    button = el('button', { type: 'button' });
    button.addEventListener('click', () => {
      const b = button!;
      void control(b.dataset.action as 'drain' | 'enable', JSON.parse(b.dataset.target!) as RsRequest, b);
    });
    actions.append(button);
  }
  setData(button, 'action', action);
  setData(
    button,
    'target',
    JSON.stringify({ vs: vsEndpoint(vs), rs: rsEndpoint(rs), protocol: vs.protocol }),
  );
  setText(button, action === 'drain' ? 'Drain' : 'Enable');
}

function renderLvs(s: DaemonStatus, now: number): void {
  if (s.lvs === null) {
    ui.lvs.replaceChildren(el('p', { class: 'note' }, 'The checkers are not running.'));
    return;
  }
  if (ui.lvs.querySelector('.vs-list') === null) {
    ui.lvs.replaceChildren(el('p', { class: 'note ipvs' }), el('div', { class: 'vs-list' }));
  }
  setText(
    ui.lvs.querySelector('.ipvs')!,
    s.lvs.ipvs === 'kernel' ? 'IPVS: kernel' : 'IPVS: dry run (--no-ipvs), no kernel counters',
  );
  reconcile(
    ui.lvs.querySelector<HTMLElement>('.vs-list')!,
    s.lvs.virtualServers,
    (vs) => vs.key,
    createVs,
    (section, vs) => updateVs(section, vs, now),
  );
}

function sample(s: DaemonStatus): void {
  const t = Date.parse(s.generatedAt) / 1000;
  const conn = new Map<string, Sample>();
  const latency = new Map<string, Sample>();
  const several = (s.lvs?.virtualServers.length ?? 0) > 1;
  for (const vs of s.lvs?.virtualServers ?? []) {
    const active = vs.realServers.reduce<number | null>(
      (sum, rs) => (rs.counters === null ? sum : (sum ?? 0) + rs.counters.activeConnections),
      null,
    );
    const inactive = vs.realServers.reduce<number | null>(
      (sum, rs) => (rs.counters === null ? sum : (sum ?? 0) + rs.counters.inactiveConnections),
      null,
    );
    if (active !== null) conn.set(`${vs.key} active`, { label: `${vs.name} active`, value: active });
    if (inactive !== null)
      conn.set(`${vs.key} inactive`, { label: `${vs.name} inactive`, value: inactive, dashed: true });
    for (const rs of vs.realServers) {
      if (rs.lastCheck === null) continue;
      latency.set(`${vs.key} ${rs.key}`, {
        label: several ? `${rs.name} (${vs.name})` : rs.name,
        value: rs.lastCheck.latencyMs,
      });
    }
  }
  connHistory.push(t, conn);
  latencyHistory.push(t, latency);
}

function renderCharts(s: DaemonStatus): void {
  const noKernel =
    s.lvs === null
      ? 'The checkers are not running.'
      : s.lvs.ipvs !== 'kernel'
        ? 'No kernel counters with --no-ipvs.'
        : null;
  connChart.render(connHistory, noKernel);
  latencyChart.render(latencyHistory, s.lvs === null ? 'The checkers are not running.' : null);
}

function renderEvents(): void {
  if (events.length > 0) for (const n of ui.events.querySelectorAll('li.note')) n.remove();
  reconcile(
    ui.events,
    events.slice().reverse(),
    (e) => String(e.seq),
    (e) =>
      el(
        'li',
        { class: `event ${e.kind}${e.kind === 'rs-health' ? (e.up ? ' up' : ' down') : ''}` },
        el('time', { datetime: e.at }, clock(e.at)),
        ' ',
        describeEvent(e),
      ),
    () => {},
  );
  if (events.length === 0 && ui.events.childElementCount === 0) {
    ui.events.append(el('li', { class: 'note' }, 'No events since the daemon started.'));
  }
}

function onStatus(s: DaemonStatus): void {
  status = s;
  const now = Date.parse(s.generatedAt);
  renderHeader(s, now);
  renderVrrp(s, now);
  renderLvs(s, now);
  sample(s);
  renderCharts(s);
}

// ---------------------------------------------------------------------------------------------
// Data

function onFeed(e: FeedEntry): void {
  if (events.some((x) => x.seq === e.seq)) return;
  events.push(e);
  events.sort((a, b) => a.seq - b.seq);
  if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
  renderEvents();
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string, error: boolean): void {
  setText(ui.toast, text);
  ui.toast.className = error ? 'error' : 'ok';
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (ui.toast.hidden = true), 6000);
}

async function control(
  action: 'drain' | 'enable',
  target: RsRequest,
  button: HTMLButtonElement,
): Promise<void> {
  button.disabled = true;
  try {
    const r = await fetch(`api/rs/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CONTROL_HEADER]: '1' },
      body: JSON.stringify(target),
      credentials: 'same-origin',
    });
    const answer = (await r.json()) as ControlAnswer;
    if (answer.ok) toast(`${action === 'drain' ? 'Drained' : 'Enabled'} ${target.rs} of ${target.vs}`, false);
    else toast(`${action} ${target.rs}: ${answer.error.message}`, true);
    await refresh();
  } catch (e) {
    toast(`${action} ${target.rs}: ${(e as Error).message}`, true);
  } finally {
    button.disabled = false;
  }
}

async function refresh(): Promise<void> {
  const r = await fetch('api/status', { cache: 'no-store' });
  if (r.ok) onStatus((await r.json()) as DaemonStatus);
}

let source: EventSource | null = null;

function connect(): void {
  setLive('connecting', 'connecting…');
  const es = new EventSource('api/events');
  source = es;
  es.addEventListener('hello', (m) => {
    const h = JSON.parse((m as MessageEvent<string>).data) as Hello;
    // Another daemon (restarted): its feed starts again at 1, so the old list and the old
    // Last-Event-ID mean nothing; start over.
    if (hello !== null && hello.pid !== h.pid) {
      hello = h;
      events.length = 0;
      connHistory.clear();
      latencyHistory.clear();
      ui.events.replaceChildren();
      es.close();
      connect();
      return;
    }
    hello = h;
    lastMessageAt = Date.now();
    setLive('live', 'live');
    if (status !== null) onStatus(status);
    renderEvents();
  });
  es.addEventListener('feed', (m) => {
    lastMessageAt = Date.now();
    onFeed(JSON.parse((m as MessageEvent<string>).data) as FeedEntry);
  });
  es.addEventListener('status', (m) => {
    lastMessageAt = Date.now();
    setLive('live', 'live');
    onStatus(JSON.parse((m as MessageEvent<string>).data) as DaemonStatus);
  });
  es.addEventListener('error', () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      // Refused (too many streams) or the daemon answered with an error: EventSource gives up.
      setLive('down', 'disconnected, retrying…');
      setTimeout(() => source === es && connect(), RETRY_MS);
    } else setLive('connecting', 'reconnecting…');
  });
}

setInterval(() => {
  if (ui.live.dataset.state === 'live' && Date.now() - lastMessageAt > STALE_MS) setLive('stale', 'stale');
}, 1000);

void refresh().catch(() => {});
connect();
