// Draws a session's life as an SVG picture: the valid band from opening to the end, warning
// windows, the idle deadline as it moved, the absolute deadline, the user's acts, and the end with
// its reason and (for an expiry) how late it was detected. One drawing for both the life of a real
// session (from its audit records) and a policy's explained timeline (from the engine on a
// virtual clock), so that the two read the same.
//
// The picture is role="img" with a summary for screen readers; the records table or the event
// list beside it is the full text alternative.

import { s } from './dom.js';
import { duration, offset, reason as reasonText, time, dateParts, zoneName } from './format.js';

const LEFT = 24, RIGHT = 24;
const BAND_Y = 64, BAND_H = 34, MARK_Y = 124, AXIS_Y = 188, H = 214;
const STEPS = [1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 144e5, 216e5, 432e5, 864e5, 6048e5];
const COLORS = {
  band: '#cfe0fc', future: '#eef3fd', warning: '#f6c177', idle: '#174ea6', absolute: '#b3261e',
  opened: '#0b57d0', activity: '#4a5361', ack: '#7a4100', extended: '#146c2e', refused: '#b3261e',
  ended: '#1b1f24', other: '#5f6875', now: '#1b1f24',
};
/** Text colours, each at least 4.5:1 on white (the warning's fill is too light for text). */
const TEXT = { ...COLORS, warning: '#7a4100', band: '#174ea6' };

/** The shape of one mark, centred on (x, y). */
function mark(kind, x, y, label) {
  const c = COLORS[kind] || COLORS.other;
  const title = s('title', {}, label);
  switch (kind) {
    case 'opened': return s('circle', { cx: x, cy: y, r: 6.5, fill: c }, title);
    case 'activity': return s('circle', { cx: x, cy: y, r: 4, fill: c }, title);
    case 'warning': return s('path', { d: `M${x} ${y - 8} l7.5 13 h-15 z`, fill: COLORS.warning, stroke: '#7a4100', 'stroke-width': 1.2 }, title);
    case 'ack': return s('path', { d: `M${x - 6} ${y} l4 4.5 l8 -9`, fill: 'none', stroke: c, 'stroke-width': 2.6, 'stroke-linecap': 'round' }, title);
    case 'extended': return s('path', { d: `M${x} ${y - 8} l7 8 l-7 8 l-7 -8 z`, fill: c }, title);
    case 'refused': return s('path', { d: `M${x - 5} ${y - 5} l10 10 m0 -10 l-10 10`, stroke: c, 'stroke-width': 2.6, 'stroke-linecap': 'round' }, title);
    case 'ended': return s('rect', { x: x - 6, y: y - 6, width: 12, height: 12, fill: c }, title);
    default: return s('circle', { cx: x, cy: y, r: 4.5, fill: '#fff', stroke: c, 'stroke-width': 2 }, title);
  }
}

/** The legend's entries, as the picture draws them. */
export const LEGEND = [
  ['band', 'valid'], ['warning-window', 'warning window'], ['opened', 'opened'], ['activity', 'activity'],
  ['warning', 'warning'], ['ack', 'acknowledged'], ['extended', 'extension'], ['refused', 'refused'],
  ['ended', 'end'], ['idle', 'idle deadline'], ['absolute', 'absolute deadline'],
];

export function legendIcon(kind) {
  const svg = s('svg', { viewBox: '0 0 16 16', 'aria-hidden': 'true' });
  if (kind === 'band') svg.append(s('rect', { x: 1, y: 4, width: 14, height: 8, fill: COLORS.band, stroke: '#8fb0e8' }));
  else if (kind === 'warning-window') svg.append(s('rect', { x: 1, y: 4, width: 14, height: 8, fill: COLORS.warning }));
  else if (kind === 'idle') svg.append(s('line', { x1: 8, y1: 1, x2: 8, y2: 15, stroke: COLORS.idle, 'stroke-width': 2, 'stroke-dasharray': '3 2' }));
  else if (kind === 'absolute') svg.append(s('line', { x1: 8, y1: 1, x2: 8, y2: 15, stroke: COLORS.absolute, 'stroke-width': 2 }));
  else svg.append(mark(kind, 8, 9, ''));
  return svg;
}

function ticks(span, most) {
  for (const step of STEPS) if (span / step <= most) return step;
  return STEPS[STEPS.length - 1];
}

const pad = (n) => String(n).padStart(2, '0');
function clockLabel(t, step) {
  const d = new Date(t);
  return step < 6e4 ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * story: {axis: 'clock'|'offset', t0, now?, end?: {at, reason, deadline?, latenessMs?, detectedBy?},
 *         absoluteAt?, expiresAt?, idle: [{from, at}], warnings: [{from, to}], marks: [{at, kind, label}],
 *         skewMs?: server minus browser (for clock labels), summary: text for screen readers}
 */
export function drawTimeline(story, widthPx) {
  // Drawn at the width it is shown at, so that its text stays at the page's size.
  const W = Math.max(560, Math.round(widthPx || 1000));
  const t0 = story.t0;
  const last = Math.max(t0 + 1000, story.end ? story.end.at : 0, story.now || 0, story.expiresAt || 0,
    ...story.marks.map((m) => m.at));
  const shown = (last - t0) * 1.04;
  const x = (t) => LEFT + ((W - LEFT - RIGHT) * Math.min(Math.max(t - t0, 0), shown)) / shown;
  const onChart = (t) => t - t0 <= shown;
  const skew = story.skewMs || 0;

  const svg = s('svg', { class: 'timeline', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': story.summary });
  svg.append(s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }));

  // The band: valid from opening to the end (or now), and for a live session the time it has left.
  const endAt = story.end ? story.end.at : story.now || last;
  svg.append(s('text', { x: LEFT, y: BAND_Y - 8, class: 'lane-label' }, 'SESSION'));
  svg.append(s('rect', { x: x(t0), y: BAND_Y, width: Math.max(2, x(endAt) - x(t0)), height: BAND_H, fill: COLORS.band, rx: 3 },
    s('title', {}, 'valid')));
  if (!story.end && story.now && story.expiresAt > story.now) {
    svg.append(s('rect', { x: x(story.now), y: BAND_Y, width: Math.max(2, x(story.expiresAt) - x(story.now)), height: BAND_H,
      fill: COLORS.future, stroke: '#8fb0e8', 'stroke-dasharray': '4 3', rx: 3 }, s('title', {}, 'ends here unless there is activity')));
    if (story.warningAt > story.now) {
      svg.append(s('rect', { x: x(story.warningAt), y: BAND_Y + 1, width: Math.max(2, x(story.expiresAt) - x(story.warningAt)), height: BAND_H - 2,
        fill: COLORS.warning, opacity: 0.45 }, s('title', {}, 'the warning will show here')));
    }
    const mid = (x(story.now) + x(story.warningAt > story.now ? story.warningAt : story.expiresAt)) / 2;
    if (story.futureLabel && x(story.expiresAt) - x(story.now) > 260) {
      svg.append(s('text', { x: mid, y: BAND_Y + BAND_H / 2 + 4, 'text-anchor': 'middle', fill: '#174ea6' }, story.futureLabel));
    }
  }
  for (const w of story.warnings) {
    const to = Math.min(w.to, endAt);
    svg.append(s('rect', { x: x(w.from), y: BAND_Y, width: Math.max(3, x(to) - x(w.from)), height: BAND_H, fill: COLORS.warning },
      s('title', {}, 'warning window')));
  }

  // Deadlines: every idle deadline the session had (earlier ones faint), and the absolute one.
  const idles = story.idle.filter((d) => onChart(d.at));
  idles.forEach((d, i) => {
    const current = i === idles.length - 1;
    svg.append(s('line', { x1: x(d.at), y1: BAND_Y - 6, x2: x(d.at), y2: BAND_Y + BAND_H + 6, stroke: COLORS.idle,
      'stroke-width': current ? 2 : 1.5, 'stroke-dasharray': '4 3', opacity: current ? 1 : 0.35 },
    s('title', {}, current ? 'idle deadline' : 'earlier idle deadline (moved by activity)')));
  });
  // Labels above the band, in two rows: a label takes the first row where it overlaps no other.
  const taken = [[], []];
  const topLabel = (t, text, color) => {
    const px = x(t), w = text.length * 6.6;
    const anchor = px > W - w / 2 - RIGHT ? 'end' : px < w / 2 + LEFT ? 'start' : 'middle';
    const from = anchor === 'end' ? px - w : anchor === 'start' ? px : px - w / 2;
    const row = taken[0].some(([a, b]) => from < b + 12 && from + w > a - 12) ? 1 : 0;
    taken[row].push([from, from + w]);
    svg.append(s('text', { x: px, y: 20 + row * 16, 'text-anchor': anchor, fill: color, 'font-weight': 600 }, text));
  };
  if (story.absoluteAt !== undefined && story.absoluteAt !== null) {
    if (onChart(story.absoluteAt)) {
      svg.append(s('line', { x1: x(story.absoluteAt), y1: 26, x2: x(story.absoluteAt), y2: BAND_Y + BAND_H + 8, stroke: COLORS.absolute, 'stroke-width': 2 },
        s('title', {}, 'absolute deadline')));
      topLabel(story.absoluteAt, 'absolute deadline', COLORS.absolute);
    } else {
      const left = story.absoluteAt - (story.end ? story.end.at : story.now || t0);
      topLabel(t0 + shown, `absolute deadline ${story.end ? duration(left) + ' after the end' : 'in ' + duration(left)} →`, COLORS.absolute);
    }
  }
  if (idles.length && !story.end) topLabel(idles[idles.length - 1].at, 'idle deadline', COLORS.idle);

  // Now, for a live session.
  if (!story.end && story.now) {
    svg.append(s('line', { x1: x(story.now), y1: BAND_Y - 14, x2: x(story.now), y2: MARK_Y + 10, stroke: COLORS.now, 'stroke-width': 1.5, 'stroke-dasharray': '1 3' }));
    topLabel(story.now, 'now', COLORS.now);
  }

  // Marks, and labels for the ones that matter, in two rows so that they do not overlap.
  svg.append(s('text', { x: LEFT, y: MARK_Y - 14, class: 'lane-label' }, 'EVENTS'));
  const labelled = [];
  for (const m of story.marks) {
    svg.append(mark(m.kind, x(m.at), MARK_Y, m.label));
    if (m.short) {
      const px = x(m.at);
      let row = 0;
      while (labelled.some((l) => l.row === row && Math.abs(l.px - px) < 92) && row < 2) row++;
      if (row < 2) {
        labelled.push({ px, row });
        const anchor = px > W - 60 ? 'end' : px < 60 ? 'start' : 'middle';
        svg.append(s('text', { x: px, y: MARK_Y + 24 + row * 15, 'text-anchor': anchor, fill: TEXT[m.kind] || TEXT.other }, m.short));
      }
    }
  }

  // The end: its reason, and how late an expiry was detected after its deadline.
  if (story.end) {
    const ex = x(story.end.at);
    svg.append(s('path', { d: `M${ex - 6} ${BAND_Y + BAND_H / 2 - 6} l12 12 m0 -12 l-12 12`, stroke: COLORS.ended, 'stroke-width': 2.5 }));
    let text = `ended: ${reasonText(story.end.reason)}`;
    if (story.end.latenessMs !== undefined && story.end.latenessMs !== null) {
      text += ` · detected ${story.end.latenessMs} ms after the deadline${story.end.detectedBy ? ' (' + story.end.detectedBy + ')' : ''}`;
    }
    topLabel(story.end.at, text, COLORS.ended);
  }

  // The axis: wall-clock times for a real session, offsets from opening for an explained one.
  const step = ticks(shown, Math.max(4, Math.floor(W / 120)));
  const axis = s('g', { class: 'axis' });
  axis.append(s('line', { x1: LEFT, y1: AXIS_Y, x2: W - RIGHT, y2: AXIS_Y }));
  const first = story.axis === 'clock' ? Math.ceil((t0 - skew) / step) * step + skew : t0;
  for (let t = first; t <= t0 + shown; t += step) {
    axis.append(s('line', { x1: x(t), y1: AXIS_Y, x2: x(t), y2: AXIS_Y + 5 }));
    const label = story.axis === 'clock' ? clockLabel(t - skew, step) : (t === t0 ? '0' : offset(t - t0));
    axis.append(s('text', { x: x(t), y: AXIS_Y + 18, 'text-anchor': 'middle' }, label));
  }
  if (story.axis === 'clock') {
    // The axis names its day and zone once: the ticks are times of day.
    const day = dateParts(t0);
    axis.append(s('text', { x: W - RIGHT, y: AXIS_Y - 6, 'text-anchor': 'end', class: 'axis-zone' },
      `${day ? day[0] : ''} · ${zoneName(t0)}`));
  }
  svg.append(axis);
  return svg;
}

/** The story of an explained policy (POST /console/api/policies/explain). */
export function storyOfExplanation(e) {
  const marks = [], idle = [], warnings = [];
  let absoluteAt = null, end = null;
  for (const ev of e.events) {
    const at = ev.offset_ms;
    if (ev.idle_deadline_offset_ms !== null && ev.idle_deadline_offset_ms !== undefined) {
      const last = idle[idle.length - 1];
      if (!last || last.at !== ev.idle_deadline_offset_ms) idle.push({ from: at, at: ev.idle_deadline_offset_ms });
    }
    if (ev.absolute_deadline_offset_ms !== null && ev.absolute_deadline_offset_ms !== undefined) absoluteAt = ev.absolute_deadline_offset_ms;
    switch (ev.type) {
      case 'session.created': marks.push({ at, kind: 'opened', label: ev.text, short: 'opened' }); break;
      case 'activity': marks.push({ at, kind: 'activity', label: ev.text }); break;
      case 'session.warning_sent':
        marks.push({ at, kind: 'warning', label: ev.text, short: 'warning' });
        warnings.push({ from: at, to: ev.expires_at_offset_ms });
        break;
      case 'session.warning_acknowledged': marks.push({ at, kind: 'ack', label: ev.text }); break;
      case 'session.extended': marks.push({ at, kind: 'extended', label: ev.text, short: 'extended' }); break;
      case 'session.extension_refused': marks.push({ at, kind: 'refused', label: ev.text, short: 'refused' }); break;
      case 'session.expired': case 'session.logged_out': case 'session.revoked':
        marks.push({ at, kind: 'ended', label: ev.text });
        end = { at, reason: e.end_reason || ev.type.replace('session.', '') };
        break;
      default: marks.push({ at, kind: 'other', label: ev.text });
    }
  }
  cutWarnings(warnings, marks);
  const summary = `Explained timeline under policy ${e.policy.name}: ` + (end
    ? `the session ends ${duration(end.at)} after opening (${reasonText(end.reason)}).` : 'the session is still live at the end of the trace.');
  return { axis: 'offset', t0: 0, end, absoluteAt, idle, warnings, marks, summary };
}

/** A warning window closes early when the user acts (activity or extension). */
function cutWarnings(warnings, marks) {
  for (const w of warnings) {
    const next = marks.find((m) => m.at > w.from && (m.kind === 'activity' || m.kind === 'extended'));
    if (next && next.at < w.to) w.to = next.at;
  }
}

/**
 * The story of a real session from its audit records and, when it is live, its status.
 * records: parsed canonical records (seq order); status: the status body, or null.
 */
export function storyOfRecords(records, status, nowMs, skewMs) {
  const marks = [], idle = [], warnings = [];
  const t = (iso) => Date.parse(iso);
  let t0 = null, absoluteAt = null, end = null;
  for (const r of records) {
    const d = r.data || {}, at = t(r.time);
    const label = (text) => `${time(at)} · ${text}`;
    switch (r.type) {
      case 'session.created':
        t0 = at;
        absoluteAt = t(d.absolute_expires_at);
        idle.push({ from: at, at: t(d.idle_expires_at) });
        marks.push({ at, kind: 'opened', label: label('opened'), short: 'opened', seq: r.seq });
        break;
      case 'session.warning_sent':
        warnings.push({ from: at, to: t(d.expires_at) });
        marks.push({ at, kind: 'warning', label: label(`warning sent (to ${d.delivered_to} open page${d.delivered_to === 1 ? '' : 's'})`), short: 'warning', seq: r.seq });
        break;
      case 'session.warning_acknowledged':
        marks.push({ at, kind: 'ack', label: label('warning acknowledged by the user'), short: 'ack', seq: r.seq });
        break;
      case 'session.extended':
        if (d.idle_expires_at) idle.push({ from: at, at: t(d.idle_expires_at) });
        marks.push({ at, kind: 'extended', label: label(`extended (${d.extensions_used} used)`), short: 'extended', seq: r.seq });
        break;
      case 'session.extension_refused':
        marks.push({ at, kind: 'refused', label: label(`extension refused: ${d.why}`), short: 'refused', seq: r.seq });
        break;
      case 'session.policy_applied':
        if (d.idle_expires_at) idle.push({ from: at, at: t(d.idle_expires_at) });
        if (d.absolute_expires_at) absoluteAt = t(d.absolute_expires_at);
        marks.push({ at, kind: 'other', label: label('policy change applied'), short: 'policy', seq: r.seq });
        break;
      case 'session.expired': {
        const lastActivity = t(d.last_activity_at);
        if (t0 !== null && lastActivity > t0 && !marks.some((m) => m.at === lastActivity)) {
          marks.push({ at: lastActivity, kind: 'activity', label: 'last activity' });
          idle.push({ from: lastActivity, at: t(d.deadline) });
        }
        const detected = t(d.detected_at);
        end = { at: detected, reason: d.reason, latenessMs: d.lateness_ms, detectedBy: d.detected_by };
        marks.push({ at: detected, kind: 'ended', label: label(`expired: ${reasonText(d.reason)}, ${d.lateness_ms} ms after its deadline`), seq: r.seq });
        break;
      }
      case 'session.revoked':
        end = { at, reason: d.reason || 'revoked' };
        marks.push({ at, kind: 'ended', label: label(`revoked by ${d.actor}${d.reason_text ? ': ' + d.reason_text : ''}`), seq: r.seq });
        break;
      case 'session.logged_out':
        end = { at, reason: 'logged_out' };
        marks.push({ at, kind: 'ended', label: label('signed out'), seq: r.seq });
        break;
      case 'session.refused':
        marks.push({ at, kind: 'refused', label: label('ended token presented again'), seq: r.seq });
        break;
      default:
        marks.push({ at, kind: 'other', label: label(r.type), seq: r.seq });
    }
  }
  if (t0 === null && status) t0 = t(status.created_at);
  if (t0 === null) t0 = records.length ? t(records[0].time) : nowMs;
  let expiresAt = null;
  if (status && !end) {
    absoluteAt = t(status.absolute_expires_at);
    expiresAt = t(status.expires_at);
    const lastActivity = t(status.last_activity_at);
    if (lastActivity > t0 && !marks.some((m) => Math.abs(m.at - lastActivity) < 2)) {
      marks.push({ at: lastActivity, kind: 'activity', label: 'last activity', short: 'last activity' });
    }
    const lastIdle = idle[idle.length - 1];
    const idleNow = t(status.idle_expires_at);
    if (!lastIdle || lastIdle.at !== idleNow) idle.push({ from: lastActivity, at: idleNow });
  }
  marks.sort((a, b) => a.at - b.at);
  cutWarnings(warnings, marks);
  const warned = marks.filter((m) => m.kind === 'warning').length;
  const extended = marks.filter((m) => m.kind === 'extended').length;
  let summary = `Session timeline: opened, ${warned} warning${warned === 1 ? '' : 's'}, ${extended} extension${extended === 1 ? '' : 's'}, `;
  summary += end ? `ended by ${reasonText(end.reason)}` + (end.latenessMs !== undefined ? `, detected ${end.latenessMs} ms after its deadline.` : '.')
    : 'still live.';
  const warningAt = status && !end ? t(status.warning_at) : null;
  const futureLabel = expiresAt ? `ends ${time(expiresAt)} unless there is activity` : null;
  return { axis: 'clock', t0, now: end ? null : nowMs, end, absoluteAt, expiresAt, warningAt, futureLabel, idle, warnings, marks, skewMs, summary };
}
