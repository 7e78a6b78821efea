// What an audit record says, in a line: shared by a session's page and the audit page.

import { dateTime, reason, duration } from './format.js';

/** compact: one short line (the log-wide list), else everything the record says. */
export function details(r, compact) {
  const d = r.data || {};
  if (compact && r.type === 'session.created') {
    const kind = d.attributes && d.attributes.kind === 'console' ? ' (console sign-in)' : '';
    return `under ${r.policy} v${r.policy_version}, idle ${duration(d.idle_timeout_ms)}, absolute ${duration(d.absolute_timeout_ms)}${kind}`;
  }
  switch (r.type) {
    case 'session.created': return `idle timeout ${duration(d.idle_timeout_ms)}, absolute ${duration(d.absolute_timeout_ms)}, warning ${duration(d.warn_before_ms)} before, up to ${d.max_extensions} extensions`;
    case 'session.warning_sent': return `ends at ${dateTime(d.expires_at)}; ${Math.round(d.lead_ms / 1000)} s warning; ${d.delivered_to} open page${d.delivered_to === 1 ? '' : 's'} told`;
    case 'session.warning_acknowledged': return `the user saw the warning (end was ${dateTime(d.expires_at)})`;
    case 'session.extended': return `end moved from ${dateTime(d.previous_expires_at)} to ${dateTime(d.expires_at)}; ${d.extensions_used} used`;
    case 'session.extension_refused': return d.why;
    case 'session.expired': return `${reason(d.reason)}: deadline ${dateTime(d.deadline)}, detected ${d.lateness_ms} ms later by the ${d.detected_by}; last activity ${dateTime(d.last_activity_at)}`;
    case 'session.revoked': return `by ${d.actor}${d.reason_text ? ': “' + d.reason_text + '”' : ''}`
      + (d.displaced_by ? `; displaced by ${d.displaced_by}` : '');
    case 'session.refused': return d.reason === 'concurrency_limit'
      ? `opening refused: ${(d.live_sessions || []).length} live sessions, the most max_sessions_per_subject (${d.max_sessions_per_subject}) allows`
      : `${reason(d.reason)} token presented again` + (d.repeats ? ` (+${d.repeats} more)` : '');
    case 'session.notified': return `${d.kind} to ${d.target}: ${d.outcome}`;
    case 'session.policy_applied': return `deadline moved from ${dateTime(d.previous_expires_at)} to ${dateTime(d.expires_at)}`;
    case 'connection.opened': return `${d.target} (${d.protocol}) from ${d.client_address}` + (d.database ? `, database ${d.database}` : '') + (d.tls ? ', TLS' : '');
    case 'connection.closed': return `${d.target}: ${d.reason ? reason(d.reason) : d.why}` + (d.detail ? ` (${d.detail})` : '') + `; ${d.active_messages} active messages in ${Math.round(d.duration_ms / 1000)} s`;
    case 'connection.refused': return `${d.target} (${d.protocol}) from ${d.client_address}: ${reason(d.why)}`;
    case 'statement.executed': return `${d.target}: ${d.outcome} in ${d.duration_ms} ms` + (d.text !== undefined ? `: ${d.text}` : '');
    case 'agent.tool_called': return `${d.target}: ${d.tool}, ${d.outcome} in ${d.duration_ms} ms`;
    case 'policy.changed': return `${d.name} v${d.version} by ${d.actor}: idle ${duration(d.idle_timeout_ms)}, absolute ${duration(d.absolute_timeout_ms)}`;
    case 'node.started': return `version ${d.version}; ${d.recovered_sessions} sessions recovered, ${d.expired_during_downtime} expired while down`
      + (d.clean_shutdown === false && r.seq > 0 ? '; the previous run did not stop cleanly' : r.seq === 0 ? '; first start' : '');
    case 'node.stopped': return `version ${d.version}`;
    case 'audit.read': return `${d.what} read by ${d.actor}: ${d.path}` + (d.repeats ? ` (+${d.repeats} more like it)` : '');
    case 'log.repaired': return `a torn last line (${d.cut_bytes} bytes) was cut after seq ${d.after_seq}`;
    default: return '';
  }
}

export const TYPES = ['session.created', 'session.warning_sent', 'session.warning_acknowledged', 'session.extended',
  'session.extension_refused', 'session.expired', 'session.revoked', 'session.logged_out', 'session.refused',
  'session.rotated', 'session.policy_applied', 'session.notified', 'connection.opened', 'connection.closed',
  'connection.refused', 'statement.executed', 'agent.tool_called', 'policy.changed', 'node.started', 'node.stopped',
  'log.repaired', 'idp.logout', 'audit.read'];
