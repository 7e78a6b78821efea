// One session's life: what it is now (or how it ended), a picture of its timeline, its audit
// records verbatim, the evidence bundle to download, and revocation (admin).

import { get, del, post, enc, ApiError } from '../api.js';
import { h, replace, icon, toast, when } from '../dom.js';
import { serverNow, reason, recordType, number } from '../format.js';
import { drawTimeline, storyOfRecords, LEGEND, legendIcon } from '../timeline.js';
import { confirmWithReason, confirming } from '../dialog.js';
import { deadline, follow } from './sessions.js';
import { details } from '../records.js';
import { connectionsOf, connectionsView } from '../connections.js';

export const title = 'Session';

export default async function session(main, ctx, params) {
  const id = params[0];
  const head = h('div'), summary = h('div'), picture = h('div'), records = h('div'), siblings = h('div');
  const connections = h('section', { class: 'section', 'aria-labelledby': 's-conn', id: 'session-connections', hidden: true });
  replace(main,
    h('p', { class: 'crumbs' }, h('a', { href: '/console/sessions', 'data-link': true }, 'Sessions'), ' › ', h('span', { class: 'id' }, id)),
    head,
    h('section', { class: 'section', 'aria-labelledby': 's-now' }, h('h2', { id: 's-now', class: 'sr-only' }, 'Status'), summary),
    h('section', { class: 'section', 'aria-labelledby': 's-sub', id: 'subject-sessions' },
      h('h2', { id: 's-sub' }, 'All live sessions of this subject'), siblings),
    h('section', { class: 'section card', 'aria-labelledby': 's-tl' },
      h('h2', { id: 's-tl' }, 'Timeline'), picture),
    connections,
    h('section', { class: 'section', 'aria-labelledby': 's-rec' },
      h('h2', { id: 's-rec' }, 'Audit records'),
      h('p', { class: 'lede small' }, 'Each record as the signed log holds it: the canonical JSON line whose hash is a leaf of the Merkle tree. The evidence bundle proves these records against a signed checkpoint without revealing any other session.'),
      records));

  let status = null, ended = null, list = [], shownFor = '', subjectList = null;
  let stale = false; // a change of this session came while a dialog was open

  async function load(passive) {
    stale = false;
    try {
      status = await get('/console/api/sessions/' + enc(id), { passive });
      ended = null;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      status = null;
      ended = e.status === 410 ? { reason: e.problem.reason } : e.status === 404 ? { forgotten: true } : { error: e.message };
    }
    const subjectNow = status ? status.subject : null;
    try {
      subjectList = subjectNow ? await get(`/console/api/subjects/${enc(subjectNow)}/sessions`, { passive }) : null;
    } catch (e) {
      subjectList = null;
    }
    try {
      const r = await get(`/console/api/sessions/${enc(id)}/records`, { passive });
      list = r.records;
      list.total = r.total;
      list.truncated = r.truncated;
    } catch (e) {
      list = [];
    }
    render();
  }

  function render() {
    const created = list.find((r) => r.type === 'session.created');
    const ending = list.find((r) => ['session.expired', 'session.revoked', 'session.logged_out'].includes(r.type));
    const subject = (status && status.subject) || (created && created.subject) || '';
    const policy = status ? `${status.policy} v${status.policy_version}` : created ? `${created.policy} v${created.policy_version}` : '—';
    const endReason = ending ? (ending.data.reason || (ending.type === 'session.logged_out' ? 'logged_out' : 'revoked')) : ended && ended.reason;
    document.title = `${subject || id} · Session · Curfew console`;

    const state = status ? h('span', { class: 'badge badge-ok' }, 'live')
      : endReason ? h('span', { class: 'badge badge-neutral' }, 'ended: ' + reason(endReason))
        : h('span', { class: 'badge badge-warn' }, 'unknown here');
    const evidence = h('a', { class: 'btn', href: `/console/api/evidence?session_id=${enc(id)}&download=1`, download: `evidence-${id}.json`,
      id: 'download-evidence' }, icon('download'), 'Download evidence bundle');
    const actions = h('div', { class: 'actions' }, list.length ? evidence : null,
      ctx.isAdmin && status ? h('button', { type: 'button', class: 'btn btn-danger', id: 'revoke', onclick: revoke }, icon('revoke'), 'Revoke session') : null,
      ctx.isAdmin && status ? h('button', { type: 'button', class: 'btn btn-danger-quiet', onclick: () => revokeAll(subject) }, `Revoke all of ${subject}’s sessions`) : null);
    const headingHadFocus = head.contains(document.activeElement) && document.activeElement.matches('h1');
    replace(head, h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Session of ', h('span', { class: 'subject' }, subject || 'an unknown subject'), ' ', state),
        h('p', { class: 'lede id' }, id)),
      actions));
    if (headingHadFocus) focusHeading(); // drawn again: the new heading keeps it

    const items = [];
    const add = (k, v) => items.push(h('div', {}, h('dt', {}, k), h('dd', {}, v)));
    add('Subject', subject ? h('a', { href: '/console/sessions?q=' + enc(subject), 'data-link': true }, subject) : '—');
    add('Policy', policy);
    if (status) {
      add('Opened', when(status.created_at, { relative: true }));
      add('Last activity', when(status.last_activity_at, { relative: true }));
      add('Idle deadline', deadline(status.idle_expires_at, status.last_activity_at, 'idle'));
      add('Absolute deadline', deadline(status.absolute_expires_at, status.created_at, 'absolute'));
      add('Warning at', when(status.warning_at, { relative: true }));
      add('Extensions', `${status.extensions_used} used, ${status.extensions_left} left`);
    } else {
      if (created) add('Opened', when(created.time, { relative: true }));
      if (ending) add('Ended', [when(ending.time, { relative: true }), ` (${reason(endReason)})`]);
      if (ending && ending.type === 'session.expired') add('Detected', `${ending.data.lateness_ms} ms after its deadline, by the ${ending.data.detected_by}`);
      if (ending && ending.type === 'session.revoked') add('Revoked by', `${ending.data.actor}${ending.data.reason_text ? ' — “' + ending.data.reason_text + '”' : ''}`);
      if (ended && ended.forgotten) add('Status', 'No longer in memory (ended sessions are kept for a day); the audit log still holds its records.');
    }
    if (created && created.data.attributes && Object.keys(created.data.attributes).length) {
      add('Attributes', h('ul', { class: 'data-list' }, Object.entries(created.data.attributes).map(([k, v]) => h('li', {}, h('b', {}, k + ': '), JSON.stringify(v)))));
    }
    replace(summary, h('div', { class: 'card' }, h('dl', { class: 'kv kv-wide' }, items)));
    renderSiblings(subject);

    if (!list.length) {
      replace(picture, h('p', { class: 'muted' }, ended && ended.error ? 'Could not read the session: ' + ended.error : 'The audit log holds no record of this session.'));
      replace(records);
      return;
    }
    const key = JSON.stringify([list.length, !!status, status && status.expires_at]);
    if (key !== shownFor) {
      shownFor = key;
      const story = storyOfRecords(list, status, serverNow(), serverNow() - Date.now());
      replace(picture, h('figure', { class: 'figure' }, drawTimeline(story, picture.clientWidth),
        h('figcaption', {}, story.summary + ' Individual requests are not audited: only the last activity before the end is known.'),
        h('ul', { class: 'legend', 'aria-hidden': 'true' }, LEGEND.map(([k, label]) => h('li', {}, legendIcon(k), label)))));
    }
    const gateways = connectionsOf(list);
    connections.hidden = !gateways;
    if (gateways) {
      replace(connections, h('h2', { id: 's-conn' }, 'Connections'),
        h('p', { class: 'lede small' }, 'What the session did through Curfew’s protocol gateways (databases, SSH, AI agents): each connection let in or turned away, and the statements and tool calls on record.'),
        connectionsView(gateways, list.truncated));
    }
    replace(records, h('div', { class: 'table-wrap' }, h('table', { id: 'session-records' },
      h('caption', { class: 'sr-only' }, `Audit records of session ${id}`),
      h('thead', {}, h('tr', {}, ['Seq', 'Time', 'Event', 'Details', 'Record'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((r) => h('tr', { id: 'seq-' + r.seq },
        h('td', { class: 'num' }, number(r.seq)),
        h('td', {}, when(r.time)),
        h('td', { class: 'nowrap' }, recordType(r.type)),
        h('td', {}, details(r)),
        h('td', {}, h('details', { class: 'raw' }, h('summary', {}, 'JSON'), h('pre', {}, JSON.stringify(r)))))))),
      list.truncated ? h('p', { class: 'table-foot' }, `Showing ${number(list.length)} of ${number(list.total)} records (the first and the last).`) : null));
    ctx.tick();
  }

  /** The subject's live sessions together, on every gateway and protocol (its policy may limit how many). */
  function renderSiblings(subject) {
    if (!subjectList) {
      replace(siblings, h('p', { class: 'muted' }, subject ? 'Only a live session’s subject is listed here.' : '—'));
      return;
    }
    const rows = subjectList.sessions;
    replace(siblings, h('p', { class: 'lede small' }, `${rows.length} live session${rows.length === 1 ? '' : 's'} of `,
      h('span', { class: 'subject' }, subject), ', oldest first. A policy’s max_sessions_per_subject counts these.'),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'sr-only' }, `Live sessions of ${subject}`),
      h('thead', {}, h('tr', {}, ['Session', 'Policy', 'Opened', 'Last activity', 'Ends', 'Audience'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('td', { class: 'id' }, r.session_id === id ? h('span', {}, r.session_id, ' (this one)')
          : h('a', { href: '/console/sessions/' + enc(r.session_id), 'data-link': true }, r.session_id)),
        h('td', {}, `${r.policy} v${r.policy_version}`),
        h('td', {}, when(r.created_at)),
        h('td', {}, when(r.last_activity_at)),
        h('td', {}, when(r.expires_at)),
        h('td', { class: 'mono small' }, (r.audience || []).join(', '))))))));
  }

  async function revoke() {
    const why = await confirmWithReason({
      title: 'Revoke this session?',
      text: `Session ${id} of ${status.subject} ends now, with the reason “revoked”. Its token stops working at once.`,
      confirm: 'Revoke session', placeholder: 'e.g. Suspicious sign-in from a new country',
    });
    if (why === null) { catchUp(); return; }
    try {
      await del('/console/api/sessions/' + enc(id), { reason_text: why });
      toast('Session revoked. Recorded in the audit log.');
    } catch (e) {
      toast('Not revoked: ' + e.message, true);
    }
    await load(false);
    focusHeading();
  }

  async function revokeAll(subject) {
    const why = await confirmWithReason({
      title: `Revoke all of ${subject}’s sessions?`,
      text: `Every live session of ${subject} ends now with the reason “revoked”.`,
      confirm: 'Revoke all', placeholder: 'e.g. Account offboarded',
    });
    if (why === null) { catchUp(); return; }
    try {
      const r = await post('/console/api/subjects/' + enc(subject) + '/revoke', { reason_text: why });
      toast(`${r.revoked} session${r.revoked === 1 ? '' : 's'} of ${subject} revoked.`);
    } catch (e) {
      toast('Not revoked: ' + e.message, true);
    }
    await load(false);
    focusHeading();
  }

  /** After a revocation the buttons that had focus are gone with the live session: the heading, which says it ended, takes it. */
  function focusHeading() {
    if (document.activeElement && document.activeElement !== document.body && document.activeElement.isConnected) return;
    const h1 = head.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus(); }
  }

  /** Shows what changed while a dialog was open (the page is not redrawn under it). */
  function catchUp() {
    if (stale) { stale = false; load(true); }
  }

  await load(false);
  // Pushed, not polled: the page loads again when a batch of changes names this session (or was cut short).
  const live = follow((ev) => {
    if (!status) return;
    let batch = null;
    try { batch = ev.data ? JSON.parse(ev.data) : null; } catch (e) { batch = null; }
    if (batch && !batch.more && !(batch.changes || []).some((c) => c.session_id === id)) return;
    if (confirming()) stale = true; else load(true);
  });
  return { stop: () => live.close() };
}
