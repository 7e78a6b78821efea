// Audit status: the latest signed checkpoint, when the log was last verified and the result, and
// "verify now" with its progress. Verification runs on the server, as `curfew audit verify` does.

import { get, post } from '../api.js';
import { h, replace, icon, announce, when } from '../dom.js';
import { dateTime, number, relative, duration, recordType, zone } from '../format.js';
import { details, TYPES } from '../records.js';

export const title = 'Audit';

/**
 * The log's records: without a filter the latest, newest first; filtered by type, subject and a
 * time range, the server's query (GET /v1/audit's parameters) over the whole log, oldest first,
 * page by page; either way downloadable as CSV (the export, like every read of the trail, is
 * itself recorded as audit.read).
 */
function recentRecords() {
  const PAGE = 25, QUERY_PAGE = 50;
  const type = h('select', { id: 'r-type' }, h('option', { value: '' }, 'All types'), TYPES.map((t) => h('option', { value: t }, `${recordType(t)} (${t})`)));
  const subject = h('input', { type: 'text', id: 'r-subject', autocomplete: 'off', spellcheck: 'false' });
  const from = h('input', { type: 'datetime-local', id: 'r-from', step: '1', 'aria-describedby': 'r-zone' });
  const to = h('input', { type: 'datetime-local', id: 'r-to', step: '1', 'aria-describedby': 'r-zone' });
  const error = h('p', { class: 'field-error', id: 'r-error', role: 'alert', hidden: true });
  const body = h('div');
  const older = h('button', { type: 'button', class: 'btn btn-small' }, 'Older records');
  const nextBtn = h('button', { type: 'button', class: 'btn btn-small', hidden: true }, 'Next records');
  const csv = h('a', { class: 'btn btn-small', id: 'export-csv', href: '/console/api/audit/export', download: 'curfew-audit.csv' },
    icon('download'), 'Export CSV');
  const note = h('p', { class: 'help', id: 'r-note' });
  let logSize = 0, end = 0; // unfiltered: records shown are below seq `end`
  let query = null, after = null, afters = []; // filtered: the query, the cursor of this page, of the pages before
  const form = h('form', { class: 'inline filters', 'aria-label': 'Filter records' },
    h('div', { class: 'field' }, h('label', { for: 'r-type' }, 'Type'), type),
    h('div', { class: 'field' }, h('label', { for: 'r-subject' }, 'Subject (exact)'), subject),
    h('div', { class: 'field' }, h('label', { for: 'r-from' }, 'From (inclusive)'), from),
    h('div', { class: 'field' }, h('label', { for: 'r-to' }, 'To (exclusive)'), to),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, 'Show'),
      h('button', { type: 'reset', class: 'btn btn-quiet' }, 'Clear')));
  const section = h('section', { class: 'section card', 'aria-labelledby': 'a-recent' },
    h('h2', { id: 'a-recent' }, 'Records'), form,
    h('p', { class: 'help', id: 'r-zone' }, `Times in ${zone()}.`), error, note, body,
    h('div', { class: 'actions card-foot' }, older, nextBtn, csv));

  /** The filters as GET /v1/audit's parameters, or a reason they are not valid. */
  function filters() {
    const q = new URLSearchParams();
    if (type.value) q.set('type', type.value);
    if (subject.value.trim()) q.set('subject', subject.value.trim());
    const f = from.value ? new Date(from.value) : null, t = to.value ? new Date(to.value) : null;
    if (f && t && t <= f) return { error: '“To” must be after “From”.' };
    if (f) q.set('from', f.toISOString());
    if (t) q.set('to', t.toISOString());
    return { q };
  }

  function table(rows, caption) {
    return rows.length === 0 ? h('p', { class: 'muted' }, 'No record matches.') : h('div', { class: 'table-wrap' }, h('table', { class: 'records' },
      h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, ['Seq', 'Time', 'Event', 'Subject', 'Session', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('td', { class: 'num' }, number(r.seq)),
        h('td', {}, when(r.time)),
        h('td', {}, recordType(r.type)),
        h('td', { class: 'wrap' }, r.subject || h('span', { class: 'muted' }, '—')),
        h('td', { class: 'wrap' }, r.session_id ? h('a', { class: 'id', href: '/console/sessions/' + r.session_id, 'data-link': true }, r.session_id) : ''),
        h('td', { class: 'small wrap' }, details(r, true)))))));
  }

  async function read(q) {
    try {
      return await get('/console/api/audit/records?' + q, { passive: true });
    } catch (e) {
      replace(body, h('p', { class: 'notice notice-danger' }, 'Could not read the log: ' + e.message));
      return null;
    }
  }

  async function loadLatest() {
    const start = Math.max(0, end - PAGE);
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (start > 0) q.set('after', String(start - 1));
    const page = await read(q);
    if (!page) return;
    const rows = page.records.filter((r) => r.seq < end).reverse();
    note.textContent = `Records ${number(start)} to ${number(end - 1)} of ${number(logSize)}, newest first.`;
    older.textContent = 'Older records';
    older.hidden = start === 0;
    nextBtn.hidden = true;
    replace(body, table(rows, 'Audit records, newest first'));
  }

  async function loadQuery() {
    const q = new URLSearchParams(query);
    q.set('limit', String(QUERY_PAGE));
    if (after !== null) q.set('after', String(after));
    const page = await read(q);
    if (!page) return;
    const first = afters.length * QUERY_PAGE;
    note.textContent = `Matching records ${number(first + (page.records.length ? 1 : 0))} to ${number(first + page.records.length)}`
      + `${page.next === null ? '' : ' and more'}, oldest first, over the whole log.`;
    older.textContent = 'Previous records';
    older.hidden = afters.length === 0;
    nextBtn.hidden = page.next === null;
    nextBtn.onclick = () => { afters.push(after); after = page.next; loadQuery(); };
    replace(body, table(page.records, 'Matching audit records, oldest first'));
    announce(`${page.records.length}${page.next === null ? '' : ' or more'} records match.`);
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = filters();
    error.hidden = !f.error;
    error.textContent = f.error || '';
    if (f.error) { to.setAttribute('aria-invalid', 'true'); to.focus(); return; }
    to.removeAttribute('aria-invalid');
    csv.setAttribute('href', '/console/api/audit/export' + (f.q.toString() ? '?' + f.q : ''));
    if (f.q.toString()) {
      query = f.q.toString(); after = null; afters = [];
      loadQuery();
    } else {
      query = null; end = logSize;
      loadLatest();
    }
  });
  form.addEventListener('reset', () => {
    setTimeout(() => form.requestSubmit(), 0); // after the fields are cleared
  });
  older.addEventListener('click', () => {
    if (query !== null) { after = afters.pop(); loadQuery(); return; }
    end = Math.max(0, end - PAGE);
    loadLatest();
  });
  return {
    section,
    /** Shows the newest records of a log of `size` records. */
    show(size) { logSize = size; end = size; return loadLatest(); },
  };
}

export default async function audit(main, ctx) {
  const recent = recentRecords();
  const checkpoint = h('div'), verification = h('div');
  const verifyBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'verify-now' }, icon('shield'), h('span', {}, 'Verify now'));
  replace(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Audit trail'),
        h('p', { class: 'lede' }, 'Every lifecycle event of every session is a record in an append-only log. Each record is a leaf of an RFC 6962 Merkle tree whose root is signed with Ed25519 at least every second (a C2SP checkpoint). Keep a checkpoint and the public key somewhere this server cannot write: anyone can then check that the log was neither edited nor truncated.'))),
    h('div', { class: 'two' },
      h('section', { class: 'card', 'aria-labelledby': 'a-cp' }, h('h2', { id: 'a-cp' }, 'Latest checkpoint'), checkpoint),
      h('section', { class: 'card', 'aria-labelledby': 'a-ver' },
        h('h2', { id: 'a-ver' }, 'Verification'),
        h('p', { class: 'help' }, 'Reads every record again and recomputes its leaf hash, every checkpoint’s root and signature, the continuity of ', h('code', {}, 'seq'),
          ' and the order of times: the same checks as ', h('code', {}, 'curfew audit verify'), '.'),
        verification,
        h('div', { class: 'actions card-foot' }, verifyBtn))),
    recent.section,
    h('section', { class: 'section card', 'aria-labelledby': 'a-ind' },
      h('h2', { id: 'a-ind' }, 'Verify it yourself'),
      h('p', {}, 'With the public key and a checkpoint kept elsewhere, an auditor needs nothing from this server:'),
      h('pre', { class: 'notice mono small' }, [
        '# once: keep the key, and a checkpoint now and then, outside the server',
        'curfew audit public-key --data curfew-data > curfew.pub',
        'curl -s -H "Authorization: Bearer $KEY" http://localhost:8080/v1/audit/checkpoint > kept-checkpoint',
        '# the whole log, consistent with the kept checkpoint',
        'curfew audit verify --public-key curfew.pub --trusted-checkpoint kept-checkpoint',
        '# one session, from its evidence bundle (Sessions › a session › Download evidence bundle)',
        'curfew audit verify-evidence evidence-s_….json --public-key curfew.pub'].join('\n'))));

  let wasRunning = false;
  async function refresh(passive) {
    let a;
    try {
      a = await get('/console/api/audit', { passive });
    } catch (e) {
      replace(checkpoint, h('p', { class: 'notice notice-danger' }, 'Could not read the audit status: ' + e.message));
      return null;
    }
    const cp = a.checkpoint;
    replace(checkpoint,
      cp ? h('dl', { class: 'kv' },
        h('dt', {}, 'Signature'), h('dd', {}, cp.signature_verified ? h('span', { class: 'badge badge-ok' }, icon('check'), 'valid') : h('span', { class: 'badge badge-danger' }, 'does not verify')),
        h('dt', {}, 'Tree size'), h('dd', { class: 'num' }, `${number(cp.tree_size)} records`),
        h('dt', {}, 'Root hash'), h('dd', { class: 'mono small' }, cp.root_hash),
        h('dt', {}, 'Signed by'), h('dd', {}, h('span', { class: 'mono small' }, a.public_key.name), ` (key ID ${a.public_key.key_id})`),
        h('dt', {}, 'Log now'), h('dd', { class: 'num' }, `${number(a.records)} records`,
          a.records > cp.tree_size ? h('span', { class: 'muted small' }, ` (${number(a.records - cp.tree_size)} newer ones are signed within a second)`) : null))
        : h('p', { class: 'muted' }, 'No checkpoint has been signed yet: the first comes within a second of the first record.'),
      h('div', { class: 'actions card-foot' },
        h('a', { class: 'btn btn-small', href: '/console/api/audit/checkpoint?download=1', download: 'curfew-checkpoint.txt' }, icon('download'), 'Download checkpoint'),
        h('a', { class: 'btn btn-small', href: '/console/api/audit/public-key', download: 'curfew-audit.pub' }, icon('download'), 'Download public key')));

    const v = a.verification, run = v.running, last = v.last;
    const parts = [];
    if (run) {
      const pct = run.records_total ? Math.min(100, Math.round((100 * run.records_done) / run.records_total)) : 0;
      parts.push(h('div', { class: 'stack' },
        h('p', { id: 'verify-progress-label' }, h('strong', {}, 'Verifying… '), `${number(run.records_done)} of ${number(run.records_total)} records (${pct}%)`,
          h('span', { class: 'muted small' }, ` · started ${dateTime(run.started_at)} (${relative(run.started_at)}) by ${run.actor}`)),
        h('progress', { max: run.records_total || 1, value: run.records_done, 'aria-labelledby': 'verify-progress-label' })));
    }
    if (last) {
      parts.push(h('div', { class: ['notice', last.ok ? 'notice-ok' : 'notice-danger'], id: 'verify-result', role: wasRunning && !run ? 'alert' : null },
        h('p', {}, h('strong', {}, last.ok ? 'The log verifies. ' : 'The log does NOT verify. '),
          `Last verified ${dateTime(last.finished_at)} (${relative(last.finished_at)}) by ${last.actor}, in ${duration(last.duration_ms)}.`),
        last.ok ? h('dl', { class: 'kv small' },
          h('dt', {}, 'Records'), h('dd', { class: 'num' }, number(last.records)),
          h('dt', {}, 'Sessions'), h('dd', { class: 'num' }, number(last.sessions)),
          h('dt', {}, 'Checkpoints'), h('dd', { class: 'num' }, `${number(last.checkpoints_verified)} verified, signed up to ${number(last.checkpointed_size)} records`),
          h('dt', {}, 'Covers'), h('dd', {}, last.first_time ? `${dateTime(last.first_time)} to ${dateTime(last.last_time)}` : '—'))
          : h('p', {}, last.failure || last.error, last.suspect_seq !== null && last.suspect_seq !== undefined ? ` The first record whose bytes changed is seq ${last.suspect_seq}.` : '')));
    } else if (!run) {
      parts.push(h('p', { class: 'notice notice-warning' }, 'Not verified since this server started.'));
    }
    // Not disabled while running (a disabled button drops the keyboard focus): it says it is busy instead.
    verifyBtn.setAttribute('aria-disabled', String(!!run));
    verifyBtn.lastChild.textContent = run ? 'Verifying…' : 'Verify now';
    replace(verification, ...parts);
    if (wasRunning && !run && last) announce(last.ok ? 'Verification finished: the log verifies.' : 'Verification finished: the log does not verify.');
    wasRunning = !!run;
    return a;
  }

  let timer = 0;
  const poll = async () => {
    const a = await refresh(true);
    timer = setTimeout(poll, a && a.verification.running ? 400 : 5000);
  };
  verifyBtn.addEventListener('click', async () => {
    if (verifyBtn.getAttribute('aria-disabled') === 'true') return;
    verifyBtn.setAttribute('aria-disabled', 'true');
    try {
      await post('/console/api/audit/verify', {});
      announce('Verification started.');
      wasRunning = true;
    } catch (e) {
      announce('Could not start the verification: ' + e.message);
    }
    clearTimeout(timer);
    poll();
  });
  const first = await refresh(false);
  if (first) await recent.show(first.records);
  timer = setTimeout(poll, 5000);
  return { stop: () => clearTimeout(timer) };
}
