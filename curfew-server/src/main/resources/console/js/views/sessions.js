// Live sessions: searchable by subject (or a session id), each with its deadlines counting down,
// its policy and version; revoke one, or all of a subject's (admin only, with a reason, audited).

import { get, del, post, enc, ApiError } from '../api.js';
import { h, replace, icon, announce, toast, debounce, when } from '../dom.js';
import { number, serverNow, ms, countdown, nowText } from '../format.js';
import { confirmWithReason, confirming } from '../dialog.js';

export const title = 'Sessions';

const PAGE = 50;

/** A deadline cell: time left (ticking), a bar of how much of its span is left, and when. */
export function deadline(untilIso, fromIso, kind) {
  const until = ms(untilIso), from = ms(fromIso);
  const left = until - serverNow();
  const frac = Math.max(0, Math.min(1, left / Math.max(1, until - from)));
  return h('div', { class: 'deadline' },
    h('span', { class: 'left', 'data-until': untilIso, 'data-over': 'passed' }, countdown(left)),
    h('div', { class: ['bar', frac < 0.15 && 'is-low'], 'aria-hidden': 'true', 'data-from': fromIso, 'data-until': untilIso },
      h('span', {})),
    h('span', { class: 'at' }, `${kind} · `, when(untilIso)));
}

export default async function sessions(main, ctx, params, query) {
  let q = query.get('q') || '';
  let cursors = [null]; // the cursor of each page shown so far (first: null)
  let page = 0;
  let paused = false;
  let stale = false; // a change came while paused or while a dialog was open
  let focusStatus = false; // the focused control went with its row: the status line takes focus once it is up to date

  const input = h('input', { type: 'search', id: 'q', name: 'q', value: q, autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'q-help', placeholder: 'alice, @example.com, s_…' });
  const form = h('form', { class: 'search', role: 'search', 'aria-label': 'Live sessions' },
    h('div', { class: 'field' },
      h('label', { for: 'q' }, 'Search by subject or session ID'),
      h('div', { class: 'input-row' }, input, h('button', { type: 'submit', class: 'btn btn-primary' }, icon('search'), 'Search')),
      h('p', { class: 'help', id: 'q-help' }, 'Part of a subject, in any case, or a whole session ID.')));
  const subjectBar = h('div');
  const status = h('p', { class: 'status-line', id: 'sessions-status', tabindex: '-1' });
  const pauseBtn = h('button', { type: 'button', class: 'btn btn-small', 'aria-pressed': 'false' }, 'Pause updates');
  const tableHost = h('div');
  replace(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Live sessions'),
        h('p', { class: 'lede' }, 'Every session that is valid now, with its deadlines counting down. A session ends at the earlier of its idle deadline (moved by activity) and its absolute deadline (never moved).'))),
    form, subjectBar, h('div', { class: 'status-line' }, status, pauseBtn), tableHost);

  const run = async (announceIt) => {
    let body;
    try {
      const params = new URLSearchParams({ limit: String(PAGE) });
      if (q) params.set('q', q);
      if (cursors[page]) params.set('after', cursors[page]);
      body = await get('/console/api/sessions?' + params, { passive: !announceIt });
    } catch (e) {
      replace(tableHost, h('p', { class: 'notice notice-danger', role: 'alert' }, 'Could not list sessions: ' + e.message));
      return;
    }
    cursors[page + 1] = body.next;
    render(body);
    const first = page * PAGE + (body.sessions.length ? 1 : 0), last = page * PAGE + body.sessions.length;
    status.textContent = `${number(body.matched)} live session${body.matched === 1 ? '' : 's'}${q ? ` matching “${q}”` : ''}`
      + (body.matched > body.sessions.length ? ` · showing ${number(first)}–${number(last)}` : '')
      + ` · updated ${nowText()}`;
    if (focusStatus) { focusStatus = false; status.focus(); }
    if (announceIt) announce(`${number(body.matched)} live sessions${q ? ' match ' + q : ''}.`);
  };

  function render(body) {
    const focusedKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    const focusedRow = focusedKey ? [...tableHost.querySelectorAll('tr[data-id]')].findIndex((tr) => tr.contains(document.activeElement)) : -1;
    const subjects = [...new Set(body.sessions.map((x) => x.subject))];
    replace(subjectBar);
    if (ctx.isAdmin && q && subjects.length === 1 && subjects[0].toLowerCase() === q.toLowerCase() && body.next === null && page === 0) {
      subjectBar.append(h('div', { class: 'notice subject-bar' }, h('div', { class: 'actions' },
        h('span', {}, `${body.sessions.length} live session${body.sessions.length === 1 ? '' : 's'} of `, h('strong', {}, subjects[0])),
        h('button', { type: 'button', class: 'btn btn-danger-quiet btn-small', 'data-key': 'revoke-all',
          onclick: () => revokeSubject(subjects[0], body.sessions.length) }, icon('revoke'), `Revoke all of ${subjects[0]}’s sessions`))));
    }
    if (body.sessions.length === 0) {
      if (focusedKey) focusStatus = true; // the control went with its row (a revocation): the list says what is left
      replace(tableHost, h('div', { class: 'card empty' },
        h('h2', {}, q ? 'No live session matches' : 'No live sessions'),
        h('p', {}, q ? `No valid session has a subject containing “${q}” or the ID ${q}. Ended sessions are not listed: open one by its ID from the audit log.`
          : 'Sessions appear here when your app opens them (POST /v1/sessions) or users sign in through the gateway.')));
      return;
    }
    const rows = body.sessions.map((x) => h('tr', { 'data-id': x.session_id },
      h('td', { class: 'who' },
        h('a', { class: 'subject', href: '/console/sessions?q=' + enc(x.subject), 'data-link': true, 'data-key': 'subj-' + x.session_id,
          title: `Show only ${x.subject}` }, x.subject),
        x.console ? [' ', h('span', { class: 'badge badge-info' }, x.yours ? 'you · console' : 'console')] : null,
        h('br'),
        h('a', { class: 'id', href: '/console/sessions/' + x.session_id, 'data-link': true, 'data-key': 'open-' + x.session_id,
          'aria-label': `Session ${x.session_id}: timeline and records` }, x.session_id)),
      h('td', {}, `${x.policy} `, h('span', { class: 'badge badge-neutral' }, 'v' + x.policy_version), h('br'),
        h('span', { class: 'muted small' }, `extensions: ${x.extensions_used} used, ${x.extensions_left} left`)),
      h('td', {}, when(x.created_at, { relative: true })),
      h('td', {}, deadline(x.idle_expires_at, x.last_activity_at, 'idle')),
      h('td', {}, deadline(x.absolute_expires_at, x.created_at, 'absolute')),
      h('td', { class: 'actions-cell' }, ctx.isAdmin
        ? h('button', { type: 'button', class: 'btn btn-danger-quiet btn-small', 'data-key': 'revoke-' + x.session_id,
          'aria-label': `Revoke session ${x.session_id} of ${x.subject}`, onclick: () => revoke(x) }, icon('revoke'), 'Revoke')
        : h('span', { class: 'muted small' }, 'view only'))));
    const pager = h('div', { class: 'table-foot' },
      h('span', {}, `Ordered by subject, then opening time.`),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn btn-small', disabled: page === 0, onclick: () => { page--; run(true); } }, '← Previous'),
        h('button', { type: 'button', class: 'btn btn-small', disabled: !body.next, onclick: () => { page++; run(true); } }, 'Next →')));
    replace(tableHost, h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'sr-only' }, 'Live sessions'),
        h('thead', {}, h('tr', {},
          ['Subject and session', 'Policy and extensions', 'Opened', 'Idle deadline', 'Absolute deadline'].map((t) => h('th', { scope: 'col' }, t)),
          h('th', { scope: 'col', class: 'actions-cell' }, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, rows)),
      pager));
    ctx.tick();
    if (focusedKey) refocus(focusedKey, focusedRow);
  }

  /**
   * Focus goes back to the control that had it, drawn again; when that went with its row (a revoked
   * session), to the same control of the row now in its place (else the last row's), and when the
   * control is gone altogether (a subject's "Revoke all"), to the status line, which says what is left.
   */
  function refocus(key, row) {
    const again = tableHost.querySelector(`[data-key="${CSS.escape(key)}"]`) || subjectBar.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (again) { again.focus(); return; }
    const kind = key.slice(0, key.indexOf('-') + 1); // 'revoke-', 'open-', 'subj-'
    const rows = [...tableHost.querySelectorAll('tr[data-id]')];
    const near = row >= 0 && rows.length ? rows[Math.min(row, rows.length - 1)] : null;
    const same = near && kind && near.querySelector(`[data-key="${CSS.escape(kind + near.dataset.id)}"]`);
    if (same) same.focus(); else focusStatus = true;
  }

  async function revoke(x) {
    const why = await confirmWithReason({
      title: 'Revoke this session?',
      text: `Session ${x.session_id} of ${x.subject} ends now, with the reason “revoked”. Its token stops working at once; the user's pages are told and sent to sign in.`,
      confirm: 'Revoke session',
      placeholder: 'e.g. Laptop reported stolen (ticket SEC-1234)',
    });
    if (why === null) { catchUp(); return; }
    try {
      await del('/console/api/sessions/' + enc(x.session_id), { reason_text: why });
      toast(`Session ${x.session_id} of ${x.subject} revoked. Recorded in the audit log.`);
    } catch (e) {
      toast(e instanceof ApiError && e.status === 410 ? 'That session had already ended.' : 'Not revoked: ' + e.message, !(e instanceof ApiError && e.status === 410));
    }
    run(false);
  }

  async function revokeSubject(subject, n) {
    const why = await confirmWithReason({
      title: `Revoke all of ${subject}’s sessions?`,
      text: `Every live session of ${subject} (${n} now, and any opened since this list was shown) ends now with the reason “revoked”.`,
      confirm: 'Revoke all',
      placeholder: 'e.g. Account offboarded',
    });
    if (why === null) { catchUp(); return; }
    try {
      const r = await post('/console/api/subjects/' + enc(subject) + '/revoke', { reason_text: why });
      toast(`${r.revoked} session${r.revoked === 1 ? '' : 's'} of ${subject} revoked. Recorded in the audit log.`);
    } catch (e) {
      toast('Not revoked: ' + e.message, true);
    }
    run(false);
  }

  /** Shows what changed while the list waited (paused, or a dialog open). */
  function catchUp() {
    if (stale && !paused) { stale = false; run(false); }
  }

  const search = () => {
    q = input.value.trim();
    cursors = [null];
    page = 0;
    ctx.navigate('/console/sessions' + (q ? '?q=' + enc(q) : ''), { replace: true, render: false });
    run(true);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
  input.addEventListener('input', debounce(search, 350));
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    catchUp();
    pauseBtn.setAttribute('aria-pressed', String(paused));
    pauseBtn.textContent = paused ? 'Resume updates' : 'Pause updates';
  });

  await run(false);
  const live = follow(() => {
    if (paused || confirming()) { stale = true; return; }
    run(false);
  });
  return { stop: () => live.close() };
}

/**
 * Follows every session's changes, pushed by the server (GET /console/api/events, Server-Sent
 * Events): on each batch, and after each (re)connection, `changed` is called; nothing is polled.
 * EventSource reconnects by itself; a stream refused for good (the console session ended) stops.
 */
export function follow(changed) {
  const source = new EventSource('/console/api/events');
  source.addEventListener('ready', changed);
  source.addEventListener('changed', changed);
  // Refused for good (too many streams on the server, or the console session ended): say so, never freeze silently.
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) toast('Live updates stopped. Reload the page to see changes.', true);
  });
  return source;
}
