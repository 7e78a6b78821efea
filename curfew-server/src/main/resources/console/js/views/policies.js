// Policy designer: edit a policy and see, as you type, its compliance report against the chosen
// presets and the explained timeline of a sample activity trace (the engine itself, run on a
// virtual clock); save it as a new version (admin; audited as policy.changed).

import { get, post, put, enc, ApiError } from '../api.js';
import { h, replace, icon, toast, debounce } from '../dom.js';
import { parseDuration, formatDuration, offset } from '../format.js';
import { drawTimeline, storyOfExplanation, LEGEND, legendIcon } from '../timeline.js';

export const title = 'Policies';

const FIELDS = [
  ['idle_timeout', 'Idle timeout', 'Ends the session this long after the last activity.', true],
  ['absolute_timeout', 'Absolute timeout', 'Ends the session this long after it opened, whatever happens.', true],
  ['warn_before', 'Warn before', 'The user is warned this long before the end (0s: no warning).', false],
  ['renew_every', 'Rotate token every', 'Optional. The token is replaced on activity after this long.', false],
];

const STATUS_BADGE = { pass: 'badge-ok', warn: 'badge-warn', fail: 'badge-danger', note: 'badge-neutral' };

/**
 * A trace that shows the policy at work: activity, a quiet spell into the warning, an extension
 * inside it, then silence. Whole minutes where the policy allows (the trace takes one unit per
 * offset: 26m, not 25m40s).
 */
function sampleTrace(p) {
  const idle = p.idle_timeout_ms, warn = p.warn_before_ms;
  const unit = idle >= 180000 ? 60000 : 1000;
  const first = Math.max(unit, Math.round(idle / 3 / unit) * unit);
  const steps = ['0s', formatDuration(first)];
  if (warn > 0 && p.max_extensions > 0) {
    const inWarning = warn >= 2 * unit ? first + idle - unit : first + idle - Math.max(1000, Math.round(warn / 2000) * 1000);
    steps.push(formatDuration(inWarning) + ':extend');
  }
  return steps.join(', ');
}

export default async function policies(main, ctx, params, query) {
  const [list, presets] = await Promise.all([get('/console/api/policies'), get('/console/api/presets')]);
  let policiesByName = Object.fromEntries(list.policies.map((p) => [p.name, p]));
  let current = policiesByName[query.get('name')] || policiesByName[list.default_policy] || list.policies[0];
  let seq = 0;

  const picker = h('select', { id: 'policy-pick' },
    list.policies.map((p) => h('option', { value: p.name }, `${p.name} (v${p.version})`)),
    h('option', { value: '' }, 'New policy…'));
  const name = h('input', { type: 'text', id: 'f-name', autocomplete: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9._-]{1,64}',
    'aria-describedby': 'f-name-help' });
  const nameField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'f-name' }, 'Name'), name, h('p', { class: 'help', id: 'f-name-help' }, 'Letters, digits, ., _ and -.'));
  const inputs = {}, errors = {};
  const durationFields = FIELDS.map(([key, label, help]) => {
    inputs[key] = h('input', { type: 'text', id: 'f-' + key, name: key, autocomplete: 'off', spellcheck: 'false', inputmode: 'text',
      'aria-describedby': `f-${key}-help f-${key}-err` });
    errors[key] = h('p', { class: 'field-error', id: `f-${key}-err`, hidden: true });
    return h('div', { class: 'field' }, h('label', { for: 'f-' + key }, label), inputs[key],
      h('p', { class: 'help', id: `f-${key}-help` }, help), errors[key]);
  });
  inputs.max_extensions = h('input', { type: 'number', id: 'f-max_extensions', min: 0, max: 1000, step: 1, 'aria-describedby': 'f-max-help' });
  // The concurrency limit (docs/concurrent-sessions.md): blank is no limit.
  inputs.max_sessions_per_subject = h('input', { type: 'number', id: 'f-max_sessions', min: 1, max: 1000, step: 1,
    'aria-describedby': 'f-max-sessions-help' });
  inputs.when_exceeded = h('select', { id: 'f-when_exceeded' },
    h('option', { value: 'refuse_new' }, 'Refuse the new session'), h('option', { value: 'end_oldest' }, 'End the oldest session'));
  inputs.limit_scope = h('select', { id: 'f-limit_scope' },
    h('option', { value: 'subject' }, 'All of the subject’s sessions'), h('option', { value: 'audience' }, 'Sessions with the same audience'));
  const presetBoxes = presets.presets.map((p) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: p.id, name: 'comply_with' }),
    h('span', {}, p.title, ' ', h('span', { class: 'muted small mono' }, p.id))));
  const applyLive = h('input', { type: 'checkbox', id: 'f-apply' });
  const saveBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'save-policy' }, icon('save'), h('span', {}, 'Save'));
  const saveNote = h('p', { class: 'help' });
  const trace = h('input', { type: 'text', id: 'f-trace', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'f-trace-help' });
  const resetTrace = h('button', { type: 'button', class: 'btn' }, 'Use a sample');
  const report = h('div', { id: 'compliance' });
  const verdict = h('div', { class: 'verdict', id: 'verdict' });
  const timeline = h('div', { id: 'explained' }), events = h('div');
  const problem = h('p', { class: 'notice notice-danger', role: 'alert', hidden: true });
  const liveSummary = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  let traceEdited = false;

  const form = h('form', { class: 'card stack', 'aria-labelledby': 'd-edit', novalidate: true },
    h('h2', { id: 'd-edit' }, 'Edit'),
    h('div', { class: 'field' }, h('label', { for: 'policy-pick' }, 'Policy'), picker),
    nameField,
    h('div', { class: 'row2' }, durationFields[0], durationFields[1]),
    h('div', { class: 'row2' }, durationFields[2],
      h('div', { class: 'field' }, h('label', { for: 'f-max_extensions' }, 'Max extensions'), inputs.max_extensions,
        h('p', { class: 'help', id: 'f-max-help' }, 'User-confirmed extensions allowed.'))),
    durationFields[3],
    h('div', { class: 'row2' },
      h('div', { class: 'field' }, h('label', { for: 'f-max_sessions' }, 'Max sessions per subject'), inputs.max_sessions_per_subject,
        h('p', { class: 'help', id: 'f-max-sessions-help' }, 'Optional. Live sessions one subject may hold at once, on every gateway.')),
      h('div', { class: 'field' }, h('label', { for: 'f-when_exceeded' }, 'When exceeded'), inputs.when_exceeded,
        h('label', { for: 'f-limit_scope' }, 'Counting'), inputs.limit_scope)),
    h('fieldset', { class: 'checks' }, h('legend', {}, 'Comply with'), presetBoxes),
    ctx.isAdmin ? h('div', { class: 'stack save' },
      h('label', { class: 'check' }, applyLive, h('span', {}, 'Apply to live sessions', h('br'),
        h('span', { class: 'muted small' }, 'Only shortening is allowed; each moved session is audited.'))),
      h('div', { class: 'actions' }, saveBtn), saveNote)
      : h('p', { class: 'notice small' }, 'Your key has the auditor scope: you can design and check policies, but saving needs an admin key.'));

  replace(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Policy designer'),
        h('p', { class: 'lede' }, 'Change a value and watch the compliance report and the explained timeline follow. The timeline is not a drawing of the rules: it is the session engine itself, run on a virtual clock against the sample activity.'))),
    liveSummary,
    h('div', { class: 'designer' }, form,
      h('div', { class: 'grid' },
        problem,
        verdict,
        h('section', { class: 'card', 'aria-labelledby': 'd-tl' },
          h('h2', { id: 'd-tl' }, 'Explained timeline'),
          h('div', { class: 'field' },
            h('label', { for: 'f-trace' }, 'Sample activity'),
            h('div', { class: 'input-row' }, trace, resetTrace),
            h('p', { class: 'help', id: 'f-trace-help' }, 'Offsets from opening, comma-separated, e.g. ', h('code', {}, '0s, 5m, 14m:extend, 20m:logout'),
              '. Kinds: activity (the default), extend, ack, logout.')),
          timeline, events),
        h('section', { class: 'card', 'aria-labelledby': 'd-comp' },
          h('h2', { id: 'd-comp' }, 'Compliance report'), report))));

  function fill(p) {
    nameField.hidden = !!p.name && !!policiesByName[p.name];
    name.value = p.name || '';
    inputs.idle_timeout.value = formatDuration(p.idle_timeout_ms);
    inputs.absolute_timeout.value = formatDuration(p.absolute_timeout_ms);
    inputs.warn_before.value = formatDuration(p.warn_before_ms);
    inputs.renew_every.value = p.renew_every_ms ? formatDuration(p.renew_every_ms) : '';
    inputs.max_extensions.value = p.max_extensions;
    inputs.max_sessions_per_subject.value = p.max_sessions_per_subject || '';
    inputs.when_exceeded.value = p.when_exceeded || 'refuse_new';
    inputs.limit_scope.value = p.limit_scope || 'subject';
    for (const box of presetBoxes) box.querySelector('input').checked = (p.comply_with || []).includes(box.querySelector('input').value);
    trace.value = sampleTrace(p);
    traceEdited = false;
    const target = policiesByName[p.name];
    saveBtn.lastChild.textContent = target ? `Save as ${p.name} v${target.version + 1}` : 'Save new policy';
    applyLive.disabled = !target;
    saveNote.textContent = !target ? '' : (p.name === 'curfew-console'
      ? 'This is the console’s own policy: it governs every console session, yours included. ' : '')
      + `Sessions open under v${target.version} keep it unless you apply the change to them.`;
  }

  /** The policy in the form, as the API takes it; null (and field errors shown) when a value is not valid. */
  function read() {
    let ok = true;
    const body = { name: policiesByName[picker.value] ? picker.value : name.value.trim() };
    for (const [key, , , required] of FIELDS) {
      const text = inputs[key].value.trim();
      const v = parseDuration(text);
      const bad = (required || text) && Number.isNaN(v);
      errors[key].hidden = !bad;
      errors[key].textContent = bad ? 'Write a duration like 90s, 15m, 12h or 30d.' : '';
      inputs[key].setAttribute('aria-invalid', bad ? 'true' : 'false');
      if (bad) ok = false;
      else if (text) body[key] = text;
    }
    body.max_extensions = Number(inputs.max_extensions.value || 0);
    if (inputs.max_sessions_per_subject.value.trim()) {
      body.max_sessions_per_subject = Number(inputs.max_sessions_per_subject.value);
      body.when_exceeded = inputs.when_exceeded.value;
      body.limit_scope = inputs.limit_scope.value;
    }
    body.comply_with = presetBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    if (!body.name) body.name = 'draft';
    return ok ? body : null;
  }

  async function update() {
    const body = read();
    const mine = ++seq;
    if (!body) return;
    if (!traceEdited) {
      trace.value = sampleTrace({ idle_timeout_ms: parseDuration(body.idle_timeout), warn_before_ms: parseDuration(body.warn_before || '0s'),
        max_extensions: body.max_extensions });
    }
    const explainBody = { ...body, activity: trace.value };
    delete explainBody.comply_with;
    const checking = body.comply_with.length ? post('/console/api/policies/check', body, { passive: true }) : Promise.resolve(null);
    const explaining = post('/console/api/policies/explain', { ...explainBody, comply_with: body.comply_with }, { passive: true });
    const [c, e] = await Promise.allSettled([checking, explaining]);
    if (mine !== seq) return; // a later edit has been sent
    const failed = [c, e].find((r) => r.status === 'rejected');
    problem.hidden = !failed;
    if (failed) problem.textContent = failed.reason instanceof ApiError ? failed.reason.message : 'Could not reach the server: ' + failed.reason;
    if (c.status === 'fulfilled') renderReport(c.value);
    if (e.status === 'fulfilled') renderExplanation(e.value);
  }

  function renderReport(r) {
    if (!r) {
      replace(verdict, h('p', { class: 'notice' }, 'Choose presets under “Comply with” to check the policy against them.'));
      replace(report, h('p', { class: 'muted' }, 'No preset chosen.'));
      liveSummary.textContent = '';
      return;
    }
    const failing = r.presets.flatMap((p) => p.rules.filter((x) => x.status === 'fail' || x.status === 'warn').map((x) => ({ ...x, title: p.title })));
    replace(verdict, h('div', { class: ['notice', r.status === 'pass' ? 'notice-ok' : r.status === 'warn' ? 'notice-warning' : 'notice-danger'] },
      h('p', { class: 'verdict-head' }, h('span', { class: ['badge', STATUS_BADGE[r.status]], id: 'compliance-status' },
        r.status === 'pass' ? 'meets every preset' : r.status === 'warn' ? 'meets every MUST, with warnings' : 'fails a MUST rule'),
        ' ', `against ${r.presets.map((p) => p.title).join(', ')}`),
      failing.length ? h('ul', { class: 'verdict-list' }, failing.map((x) => h('li', {},
        h('strong', {}, x.status === 'fail' ? 'Fails ' : 'Warns '), `${x.title}: ${x.field} is ${x.value === null ? 'not set' : x.value}`,
        x.limit ? `, rule ${x.rule}` : '', h('span', { class: 'cite' }, ` (${x.citation})`),
        x.status === 'warn' ? h('div', { class: 'small' }, x.text) : null))) : null));
    replace(report, r.presets.map((p) => h('div', { class: 'preset' },
      h('div', { class: 'preset-head' }, h('h3', {}, p.title), h('span', { class: ['badge', STATUS_BADGE[p.status]] }, p.status)),
      h('ul', { class: 'rules' }, p.rules.map((rule) => h('li', {},
        h('span', {}, h('span', { class: ['badge', STATUS_BADGE[rule.status]] }, rule.status)),
        h('div', {},
          h('div', {}, rule.text),
          rule.value !== null || rule.limit !== null
            ? h('div', { class: 'small' }, `${rule.strength} ${rule.field || ''}: `, h('strong', {}, rule.value === null ? 'not set' : rule.value),
              rule.limit ? ` (rule ${rule.rule})` : '') : null,
          h('div', { class: 'cite' }, rule.citation))))))));
    const fails = r.presets.filter((p) => p.status === 'fail').map((p) => p.title);
    liveSummary.textContent = fails.length ? `Compliance: fails ${fails.join(', ')}.` : `Compliance: ${r.status === 'pass' ? 'passes' : 'passes with warnings'}.`;
  }

  function renderExplanation(e) {
    const story = storyOfExplanation(e);
    replace(timeline, h('figure', { class: 'figure' }, drawTimeline(story, timeline.clientWidth),
      h('figcaption', {}, story.summary),
      h('ul', { class: 'legend', 'aria-hidden': 'true' }, LEGEND.filter(([k]) => k !== 'refused').map(([k, label]) => h('li', {}, legendIcon(k), label)))));
    replace(events, h('h3', { class: 'sr-only' }, 'What happens'),
      h('ol', { class: 'events', 'aria-label': 'What happens, step by step' }, e.events.map((ev) => h('li', {},
        h('span', { class: 't' }, offset(ev.offset_ms)), h('span', {}, ev.text)))));
  }

  async function save() {
    const body = read();
    if (!body) return;
    if (!policiesByName[picker.value] && !name.value.trim()) {
      toast('Give the new policy a name first.', true);
      name.focus();
      return;
    }
    const target = body.name;
    const payload = { ...body, apply_to_live: applyLive.checked };
    delete payload.name;
    try {
      const saved = await put('/console/api/policies/' + enc(target), payload);
      toast(`Saved ${saved.name} v${saved.version}` + (saved.applied_to_live ? `; ${saved.applied_to_live} live session${saved.applied_to_live === 1 ? '' : 's'} moved to it.` : '.') + ' Recorded as policy.changed.');
      const fresh = await get('/console/api/policies');
      policiesByName = Object.fromEntries(fresh.policies.map((p) => [p.name, p]));
      replace(picker, fresh.policies.map((p) => h('option', { value: p.name }, `${p.name} (v${p.version})`)), h('option', { value: '' }, 'New policy…'));
      picker.value = saved.name;
      current = policiesByName[saved.name];
      fill(current);
      update();
    } catch (e) {
      toast('Not saved: ' + e.message, true);
    }
  }

  picker.value = current.name;
  fill(current);
  picker.addEventListener('change', () => {
    current = policiesByName[picker.value] || { ...current, name: '', comply_with: current.comply_with };
    fill(current);
    if (!picker.value) name.focus();
    update();
  });
  const later = debounce(update, 250);
  form.addEventListener('input', later);
  trace.addEventListener('input', () => { traceEdited = true; later(); });
  resetTrace.addEventListener('click', () => { traceEdited = false; update(); });
  form.addEventListener('submit', (ev) => ev.preventDefault());
  saveBtn.addEventListener('click', save);
  await update();
  return { stop: () => {} };
}
