// How times, durations and Curfew's vocabulary read in the console.

let skewMs = 0; // the server's clock minus this browser's

/** Learns the server's clock from a server_time seen half-way through a request. */
export function learnServerTime(iso, sentAtMs, receivedAtMs) {
  const t = Date.parse(iso);
  if (!Number.isNaN(t)) skewMs = t - (sentAtMs + receivedAtMs) / 2;
}

/** Now, on the server's clock (deadlines are compared on it, whatever this machine's clock says). */
export const serverNow = () => Date.now() + skewMs;

export const ms = (iso) => (iso ? Date.parse(iso) : NaN);

const pad = (n) => String(n).padStart(2, '0');

/** 14:58, 1:02:03, or 2 d 3 h for long ones. */
export function countdown(leftMs) {
  if (!(leftMs > 0)) return '0:00';
  const s = Math.ceil(leftMs / 1000);
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (d > 0) return `${d} d ${hh} h`;
  return hh > 0 ? `${hh}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}

/** 15 min, 8 h, 2 min 30 s, 1.5 s, 450 ms. */
export function duration(totalMs) {
  const v = Math.abs(totalMs);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 10000 && v % 1000) return `${(v / 1000).toFixed(1)} s`;
  const parts = [];
  let s = Math.round(v / 1000);
  const units = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  for (const [size, name] of units) {
    if (s >= size) { parts.push(`${Math.floor(s / size)} ${name}`); s %= size; }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** Words for a countdown that screen readers and humans both parse: "14 minutes 58 seconds". */
export function words(leftMs) {
  const s = Math.max(0, Math.ceil(leftMs / 1000)), m = Math.floor(s / 60), h = Math.floor(m / 60);
  const n = (k, u) => `${k} ${u}${k === 1 ? '' : 's'}`;
  if (h > 0) return n(h, 'hour') + (m % 60 ? ' ' + n(m % 60, 'minute') : '');
  return m ? n(m, 'minute') + (s % 60 ? ' ' + n(s % 60, 'second') : '') : n(s, 'second');
}

// Every time shown names its zone (this browser's): an operator in Berlin and an auditor in New York
// read the same record. hourCycle h23: no AM/PM to misread in a log.
const timeFmt = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
const dateFmt = new Intl.DateTimeFormat([], { year: 'numeric', month: 'short', day: 'numeric' });

const zoneFmt = new Intl.DateTimeFormat([], { timeZoneName: 'short' });

/** The short name of this browser's zone at a server instant: "GMT+1", "UTC". */
export function zoneName(serverMs) {
  const part = zoneFmt.formatToParts(new Date(serverMs - skewMs)).find((p) => p.type === 'timeZoneName');
  return part ? part.value : '';
}

/** This browser's time zone, as the console names it: "Europe/Berlin (UTC+01:00)". */
export function zone() {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  const off = -new Date().getTimezoneOffset();
  const sign = off < 0 ? '-' : '+', a = Math.abs(off);
  return `${name} (UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)})`;
}

/** A server instant as a time of day with its zone, the clock difference taken out: "22:15:04 UTC". */
export function time(iso) {
  const t = typeof iso === 'number' ? iso : ms(iso);
  return Number.isNaN(t) ? '—' : timeFmt.format(new Date(t - skewMs));
}

/** A server instant as its date and its time of day with the zone: ["Dec 3, 2026", "22:15:04 UTC"]. */
export function dateParts(iso) {
  const t = typeof iso === 'number' ? iso : ms(iso);
  if (Number.isNaN(t)) return null;
  const local = new Date(t - skewMs);
  return [dateFmt.format(local), timeFmt.format(local)];
}

/** A server instant as a date, a time and its zone: "Dec 3, 2026, 22:15:04 UTC". */
export function dateTime(iso) {
  const p = dateParts(iso);
  return p ? p.join(', ') : '—';
}

/** The server's clock now, as dateTime says it. */
export const nowText = () => dateTime(serverNow());

/** "3 min ago", "in 5 min". */
export function relative(iso) {
  const d = ms(iso) - serverNow();
  if (Number.isNaN(d)) return '';
  if (Math.abs(d) < 5000) return 'just now';
  const whole = Math.round(Math.abs(d) / 1000) * 1000;
  return d > 0 ? `in ${duration(whole)}` : `${duration(whole)} ago`;
}

const numberFmt = new Intl.NumberFormat();
export const number = (n) => (n === null || n === undefined ? '—' : numberFmt.format(n));

export function rate(perSecond) {
  if (perSecond === null || perSecond === undefined) return '—';
  if (perSecond === 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(2).replace(/\.?0+$/, '');
  return numberFmt.format(Math.round(perSecond));
}

export function millis(v) {
  if (v === null || v === undefined) return '—';
  if (v < 10) return `${v.toFixed(2).replace(/\.?0+$/, '')} ms`;
  if (v < 1000) return `${Math.round(v)} ms`;
  return `${(v / 1000).toFixed(2)} s`;
}

/** Parses 1500ms, 2s, 15m, 12h, 30d (what the configuration and the CLI accept); NaN otherwise. */
export function parseDuration(text) {
  const m = /^\s*(\d{1,12})\s*(ms|s|m|h|d)\s*$/.exec(text || '');
  if (!m) return NaN;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2]];
}

/** An offset from opening as the CLI's explain prints it: +13m, +1h2m3s, +0s. */
export function offset(v) {
  const h = Math.floor(v / 3600000), m = Math.floor(v / 60000) % 60, s = Math.floor(v / 1000) % 60, rest = v % 1000;
  let out = '+' + (h ? h + 'h' : '') + (m ? m + 'm' : '');
  if (s || rest || out === '+') out += s + (rest ? '.' + String(rest).padStart(3, '0') : '') + 's';
  return out;
}

/** The shortest exact short form: 15m, 1500ms, 0s. */
export function formatDuration(v) {
  if (!v) return '0s';
  for (const [size, u] of [[86400000, 'd'], [3600000, 'h'], [60000, 'm'], [1000, 's']]) if (v % size === 0) return v / size + u;
  return v + 'ms';
}

const REASONS = {
  idle_timeout: 'Idle timeout', absolute_timeout: 'Absolute timeout', revoked: 'Revoked',
  logged_out: 'Signed out', replayed: 'Replayed token', unknown: 'Unknown',
  concurrency_limit: 'Displaced by a newer session (concurrency limit)',
};
export const reason = (r) => REASONS[r] || r;

const RECORDS = {
  'session.created': 'Opened', 'session.warning_sent': 'Warning sent', 'session.warning_acknowledged': 'Warning acknowledged',
  'session.extended': 'Extended', 'session.extension_refused': 'Extension refused', 'session.expired': 'Expired',
  'session.revoked': 'Revoked', 'session.logged_out': 'Signed out', 'session.refused': 'Ended token presented again',
  'session.rotated': 'Token rotated', 'session.policy_applied': 'Policy change applied', 'session.notified': 'App notified',
  'connection.opened': 'Connection opened', 'connection.closed': 'Connection closed', 'connection.refused': 'Connection refused',
  'statement.executed': 'Statement', 'agent.tool_called': 'Tool call',
  'policy.changed': 'Policy version', 'node.started': 'Server started', 'node.stopped': 'Server stopped', 'log.repaired': 'Log repaired',
  activity: 'Activity',
};
export const recordType = (t) => RECORDS[t] || t;
