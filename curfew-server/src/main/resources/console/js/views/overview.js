// Overview: metrics at a glance (live sessions, checks per second by outcome, expiry lateness
// percentiles, audit append rate), whether the node can write its storage (GET /readyz: a full
// disk shows here with the file, the error and the free space), and the audit trail's state,
// refreshed every 2 s (passively).

import { get } from '../api.js';
import { h, s, replace, when } from '../dom.js';
import { number, rate, millis, relative, reason, nowText } from '../format.js';

const OUTCOME_ORDER = ['valid', 'idle_timeout', 'absolute_timeout', 'revoked', 'logged_out', 'replayed', 'unknown'];

function sparkline(values, label) {
  const svg = s('svg', { class: 'spark', viewBox: '0 0 100 40', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  if (!values || values.length < 2) return svg;
  const max = Math.max(...values, 1e-9), n = values.length - 1;
  const pts = values.map((v, i) => [(i / n) * 100, 38 - (v / max) * 34]);
  const line = pts.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(2) + ' ' + p[1].toFixed(2)).join(' ');
  svg.append(s('path', { class: 'area', d: `${line} L100 40 L0 40 Z` }), s('path', { class: 'line', d: line }));
  svg.setAttribute('data-label', label);
  return svg;
}

function card(title, id, ...body) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h3', { class: 'card-label', id }, title), ...body);
}

export const title = 'Overview';

const COMPONENT = { audit_log: 'Audit log', audit_trail: 'Merkle tree', snapshot: 'Snapshots' };

/** GET /readyz: its 503 is an answer too (the body names what cannot write). */
async function readiness() {
  try {
    return await get('/readyz', { passive: true });
  } catch (e) {
    if (e.status === 503 && e.problem && e.problem.status) return e.problem;
    throw e;
  }
}

function storageView(r) {
  if (r.outages.length === 0 && r.status === 'ready') {
    return h('p', {}, h('span', { class: 'badge badge-ok' }, 'writable'), ' The audit log, the Merkle tree and snapshots are written normally.');
  }
  return [
    h('p', {}, r.status === 'ready'
      ? h('span', { class: 'badge badge-warn' }, 'degraded')
      : h('span', { class: 'badge badge-danger' }, 'not writable: changes are refused (503)'),
      ' Each part retries by itself and recovers without a restart once it can write again.'),
    h('table', { class: 'small' },
      h('caption', { class: 'sr-only' }, 'Storage that cannot be written now'),
      h('thead', {}, h('tr', {}, ['What', 'File', 'Error', 'Since', 'Free space'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, r.outages.map((o) => h('tr', {},
        h('td', {}, COMPONENT[o.component] || o.component),
        h('td', {}, h('code', {}, o.path)),
        h('td', {}, o.error),
        h('td', {}, when(o.since, { relative: true })),
        h('td', { class: 'num' }, o.free_bytes < 0 ? 'unknown' : number(o.free_bytes) + ' bytes')))))];
}

export default async function overview(main, ctx) {
  const live = h('div'), checks = h('div'), lateness = h('div'), audit = h('div'), trail = h('div'), storage = h('div');
  const updated = h('span', { class: 'muted small' });
  replace(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Overview'),
        h('p', { class: 'lede' }, 'Curfew on this node over the last five minutes: the same meters that ', h('code', {}, '/metrics'),
          ' exports to Prometheus, sampled every second.')),
      updated),
    h('section', { class: 'section', 'aria-labelledby': 'glance' },
      h('h2', { id: 'glance' }, 'Metrics at a glance'),
      h('div', { class: 'cards' },
        card('Live sessions', 'm-live', live),
        card('Checks per second', 'm-checks', checks),
        card('Expiry lateness', 'm-late', lateness),
        card('Audit appends', 'm-audit', audit))),
    h('section', { class: 'section', 'aria-labelledby': 'storage' },
      h('h2', { id: 'storage' }, 'Storage'), storage),
    h('section', { class: 'section', 'aria-labelledby': 'trail' },
      h('h2', { id: 'trail' }, 'Audit trail'), trail));

  async function refresh() {
    let m, a, r;
    try {
      [m, a, r] = await Promise.all([get('/console/api/metrics', { passive: true }), get('/console/api/audit', { passive: true }),
        readiness()]);
    } catch (e) {
      updated.textContent = 'Could not refresh: ' + e.message;
      return;
    }
    replace(live,
      h('div', { class: 'metric num' }, number(m.live_sessions.now)),
      sparkline(m.live_sessions.series, 'live sessions'),
      h('p', { class: 'card-foot' }, h('a', { href: '/console/sessions', 'data-link': true }, 'See live sessions')));

    const outcomes = Object.entries(m.checks_per_second.by_outcome)
      .sort((x, y) => OUTCOME_ORDER.indexOf(x[0]) - OUTCOME_ORDER.indexOf(y[0]));
    replace(checks,
      h('div', { class: 'metric num' }, rate(m.checks_per_second.total), h('small', {}, ' /s')),
      sparkline(m.checks_per_second.series, 'checks per second'),
      outcomes.length === 0 ? h('p', { class: 'help' }, 'No token has been checked yet.')
        : h('table', { class: 'small' },
          h('caption', { class: 'sr-only' }, `Checks per second by outcome, over the last ${m.rate_window_s} seconds`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Outcome'), h('th', { scope: 'col', class: 'num' }, 'Per second'))),
          h('tbody', {}, outcomes.map(([o, r]) => h('tr', {},
            h('td', {}, o === 'valid' ? h('span', { class: 'badge badge-ok' }, 'valid') : h('span', { class: 'badge badge-neutral' }, reason(o))),
            h('td', { class: 'num' }, rate(r)))))));

    const l = m.expiry_lateness_ms;
    replace(lateness,
      l.count === 0
        ? [h('div', { class: 'metric' }, '—'), h('p', { class: 'help' }, `No session expired in the last ${Math.round(m.window_s / 60) || 1} min. `
            + `Expiries so far: ${number(l.total)}.`)]
        : [h('div', { class: 'metric num' }, '≤ ' + millis(l.p99), h('small', {}, ' p99')),
          h('dl', { class: 'kv small' },
            h('dt', {}, 'p50'), h('dd', { class: 'num' }, '≤ ' + millis(l.p50)),
            h('dt', {}, 'p90'), h('dd', { class: 'num' }, '≤ ' + millis(l.p90)),
            h('dt', {}, 'p99'), h('dd', { class: 'num' }, '≤ ' + millis(l.p99)),
            h('dt', {}, 'recent max'), h('dd', { class: 'num' }, millis(l.recent_max)),
            h('dt', {}, 'expiries'), h('dd', { class: 'num' }, number(l.count)))],
      h('p', { class: 'help card-foot' }, 'How long after its deadline each expiry was detected (by the timer, a request, or recovery); percentiles are histogram bucket bounds.'));

    replace(audit,
      h('div', { class: 'metric num' }, rate(m.audit_records_per_second.now), h('small', {}, ' records/s')),
      sparkline(m.audit_records_per_second.series, 'audit records per second'),
      h('p', { class: 'help' }, `${number(m.audit_records_per_second.total)} records appended since the server started.`));

    replace(storage, h('div', { class: 'card' }, storageView(r)));

    const cp = a.checkpoint, last = a.verification.last;
    replace(trail, h('div', { class: 'card' },
      h('dl', { class: 'kv kv-wide' },
        h('div', {}, h('dt', {}, 'Records in the log'), h('dd', { class: 'num' }, number(a.records))),
        h('div', {}, h('dt', {}, 'Latest checkpoint'), h('dd', {}, cp && cp.signature_verified
          ? [h('span', { class: 'badge badge-ok' }, 'signature valid'), ' ', `tree size ${number(cp.tree_size)}`]
          : cp ? h('span', { class: 'badge badge-danger' }, 'signature does not verify') : 'none yet')),
        h('div', {}, h('dt', {}, 'Last verified'), h('dd', {}, a.verification.running
          ? h('span', { class: 'badge badge-info' }, 'verifying now…')
          : last ? [last.ok ? h('span', { class: 'badge badge-ok' }, 'OK') : h('span', { class: 'badge badge-danger' }, 'FAILED'), ' ', when(last.finished_at, { relative: true })]
            : h('span', { class: 'badge badge-warn' }, 'not since the server started')))),
      h('p', { class: 'card-foot' }, h('a', { href: '/console/audit', 'data-link': true }, 'Audit status and verification'))));
    updated.textContent = 'Updated ' + nowText();
  }

  await refresh();
  const timer = setInterval(refresh, 2000);
  return { stop: () => clearInterval(timer) };
}
