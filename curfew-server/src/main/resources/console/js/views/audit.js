// Audit status: the latest signed checkpoint, when the log was last verified and the result, and
// "verify now" with its progress. Verification runs on the server, as `curfew audit verify` does.

import { get, post } from '../api.js';
import { h, replace, icon, announce } from '../dom.js';
import { dateTime, number, relative, duration } from '../format.js';

export const title = 'Audit';

export default async function audit(main, ctx) {
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
  await refresh(false);
  timer = setTimeout(poll, 5000);
  return { stop: () => clearTimeout(timer) };
}
