// Audit status: the latest signed checkpoint, when the log was last verified and the result, and
// "verify now" with its progress. Verification runs on the server, as `curfew audit verify` does.

import { get, post } from '../api.js';
import { h, replace, icon, announce } from '../dom.js';
import { dateTime, number, relative, duration, recordType } from '../format.js';
import { details, TYPES } from '../records.js';

export const title = 'Audit';

/** The log's latest records (newest first), optionally of one type or one subject. */
function recentRecords() {
  const PAGE = 25, FILTER_SPAN = 5000;
  const type = h('select', { id: 'r-type' }, h('option', { value: '' }, 'All types'), TYPES.map((t) => h('option', { value: t }, `${recordType(t)} (${t})`)));
  const subject = h('input', { type: 'text', id: 'r-subject', autocomplete: 'off', spellcheck: 'false' });
  const body = h('div');
  const older = h('button', { type: 'button', class: 'btn btn-small' }, 'Older records');
  const note = h('p', { class: 'help' });
  let logSize = 0, end = 0; // records shown are below seq `end`
  const form = h('form', { class: 'inline', 'aria-label': 'Filter records' },
    h('div', { class: 'field' }, h('label', { for: 'r-type' }, 'Type'), type),
    h('div', { class: 'field' }, h('label', { for: 'r-subject' }, 'Subject (exact)'), subject),
    h('button', { type: 'submit', class: 'btn' }, 'Show'));
  const section = h('section', { class: 'section card', 'aria-labelledby': 'a-recent' },
    h('h2', { id: 'a-recent' }, 'Recent records'), form, note, body, h('div', { class: 'actions card-foot' }, older));

  async function load() {
    const filtered = !!(type.value || subject.value.trim());
    const from = Math.max(0, end - (filtered ? FILTER_SPAN : PAGE));
    const q = new URLSearchParams({ after: String(from - 1), limit: String(filtered ? 1000 : PAGE) });
    if (from === 0) q.delete('after');
    if (type.value) q.set('type', type.value);
    if (subject.value.trim()) q.set('subject', subject.value.trim());
    let page;
    try {
      page = await get('/console/api/audit/records?' + q, { passive: true });
    } catch (e) {
      replace(body, h('p', { class: 'notice notice-danger' }, 'Could not read the log: ' + e.message));
      return;
    }
    const rows = page.records.filter((r) => r.seq < end).slice(-PAGE).reverse();
    note.textContent = filtered
      ? `Matches among records ${number(from)} to ${number(end - 1)}, newest first. For the whole log: GET /v1/audit or curfew audit export.`
      : `Records ${number(from)} to ${number(end - 1)} of ${number(logSize)}, newest first.`;
    older.hidden = from === 0;
    replace(body, rows.length === 0 ? h('p', { class: 'muted' }, 'No record matches.') : h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'sr-only' }, 'Audit records, newest first'),
      h('thead', {}, h('tr', {}, ['Seq', 'Time', 'Event', 'Subject', 'Session', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('td', { class: 'num' }, number(r.seq)),
        h('td', { class: 'nowrap', title: r.time }, dateTime(r.time)),
        h('td', { class: 'nowrap' }, recordType(r.type)),
        h('td', {}, r.subject || h('span', { class: 'muted' }, '—')),
        h('td', {}, r.session_id ? h('a', { class: 'id', href: '/console/sessions/' + r.session_id, 'data-link': true }, r.session_id) : ''),
        h('td', { class: 'small' }, details(r, true))))))));
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); end = logSize; load(); });
  older.addEventListener('click', () => { end = Math.max(0, end - (type.value || subject.value.trim() ? FILTER_SPAN : PAGE)); load(); });
  return {
    section,
    /** Shows the newest records of a log of `size` records. */
    show(size) { logSize = size; end = size; return load(); },
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
          h('span', { class: 'muted small' }, ` · started ${relative(run.started_at)} by ${run.actor}`)),
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
