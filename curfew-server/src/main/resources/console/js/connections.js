// What a session did through the protocol gateways (spec/protocol-gateways.md, "Audit records"):
// its connections (let in or turned away) and the statements and tool calls audited, read from
// the session's own audit records. One table per kind, whatever the gateway (database, SSH, MCP).

import { h, when } from './dom.js';
import { millis, number, reason } from './format.js';

export const WORK_TYPES = ['statement.executed', 'agent.tool_called'];
/** Most statements and tool calls listed (the last ones); the audit records below hold them all. */
const WORK_SHOWN = 200;

/** The section's content, or null when the session never went through a protocol gateway. */
export function connectionsOf(list) {
  const byId = new Map();
  const rows = [];
  const work = [];
  const row = (r) => {
    const id = r.data.connection_id;
    let c = id ? byId.get(id) : null;
    if (!c) {
      c = { id, target: r.data.target, protocol: r.data.protocol, from: r.data.client_address, statements: 0, errors: 0 };
      if (id) byId.set(id, c);
      rows.push(c);
    }
    return c;
  };
  for (const r of list) {
    const d = r.data || {};
    if (r.type === 'connection.opened') {
      Object.assign(row(r), { opened: r.time, opens: d.database || d.user || d.mcp_session_id, tls: d.tls, state: 'open' });
    } else if (r.type === 'connection.refused') {
      Object.assign(row(r), { opened: r.time, state: 'refused', why: d.why, detail: d.detail });
    } else if (r.type === 'connection.closed') {
      Object.assign(row(r), { closed: r.time, state: 'closed', why: d.reason || d.why, detail: d.detail,
        active: d.active_messages, bytesIn: d.bytes_in, bytesOut: d.bytes_out, duration: d.duration_ms });
    } else if (WORK_TYPES.includes(r.type)) {
      if (d.connection_id && byId.has(d.connection_id)) {
        const c = byId.get(d.connection_id);
        c.statements++;
        if (d.outcome && d.outcome !== 'ok') c.errors++;
      }
      work.push(r);
    }
  }
  if (!rows.length && !work.length) return null;
  return { connections: rows, work };
}

function state(c) {
  if (c.state === 'refused') return h('span', { class: 'badge badge-danger' }, 'refused');
  if (c.state === 'open') return h('span', { class: 'badge badge-ok' }, 'open');
  return h('span', { class: 'badge badge-neutral' }, 'closed');
}

function why(c) {
  if (!c.why) return '—';
  const words = reason(c.why).replace(/_/g, ' ');
  return c.detail ? `${words} (${c.detail})` : words;
}

function connectionsTable(rows) {
  return h('div', { class: 'table-wrap' }, h('table', { id: 'connections' },
    h('caption', { class: 'sr-only' }, 'Connections through the protocol gateways'),
    h('thead', {}, h('tr', {}, ['Target', 'State', 'From', 'Opened', 'Closed', 'Why', 'Statements', 'Active messages', 'Bytes in / out', 'Duration']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((c) => h('tr', { dataset: { connection: c.id || '' } },
      h('td', { class: 'nowrap' }, `${c.target || '—'} (${c.protocol || '—'})`, c.opens ? h('div', { class: 'muted small' }, c.opens) : null),
      h('td', {}, state(c), c.tls ? h('span', { class: 'muted small' }, ' TLS') : null),
      h('td', { class: 'nowrap' }, c.from || '—'),
      h('td', {}, when(c.opened)),
      h('td', {}, when(c.closed)),
      h('td', {}, why(c)),
      h('td', { class: 'num' }, c.state === 'refused' ? '—' : number(c.statements) + (c.errors ? ` (${number(c.errors)} failed)` : '')),
      h('td', { class: 'num' }, number(c.active)),
      h('td', { class: 'num nowrap' }, c.bytesIn === undefined ? '—' : `${number(c.bytesIn)} / ${number(c.bytesOut)}`),
      h('td', { class: 'num' }, c.duration === undefined ? '—' : millis(c.duration)))))));
}

function workTable(work) {
  const shown = work.slice(-WORK_SHOWN);
  return [h('div', { class: 'table-wrap' }, h('table', { id: 'statements' },
    h('caption', { class: 'sr-only' }, 'Statements and tool calls'),
    h('thead', {}, h('tr', {}, ['Time', 'Target', 'Connection', 'What', 'Outcome', 'Duration'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, shown.map((r) => {
      const d = r.data || {};
      const what = r.type === 'agent.tool_called' ? `tool ${d.tool}`
        : d.text !== undefined ? d.text : `sha256 ${String(d.sha256 || '').slice(0, 16)}…`;
      return h('tr', {},
        h('td', {}, when(r.time)),
        h('td', { class: 'nowrap' }, d.target || '—'),
        h('td', { class: 'nowrap id' }, d.connection_id || '—'),
        h('td', {}, h('code', {}, what)),
        h('td', {}, d.outcome || '—'),
        h('td', { class: 'num' }, millis(d.duration_ms)));
    })))),
  work.length > shown.length ? h('p', { class: 'table-foot' }, `The last ${number(shown.length)} of ${number(work.length)}.`) : null];
}

/** The section's body: the connections, then the statements and tool calls. */
export function connectionsView(summary, truncated) {
  return [
    summary.connections.length ? connectionsTable(summary.connections) : null,
    summary.work.length ? h('h3', {}, 'Statements and tool calls') : null,
    summary.work.length ? workTable(summary.work) : null,
    truncated ? h('p', { class: 'table-foot' }, 'From the records shown below (the session has more).') : null,
  ];
}
