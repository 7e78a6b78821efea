// The console's calls to the server. Every call is same-origin with the console cookie; changes
// carry the CSRF token of GET /console/api/me. Background refreshes say X-Curfew-Passive: 1 so
// that they never count as the operator's activity (they must not keep the session alive).

import { learnServerTime } from './format.js';

let csrf = null;

/** An answer other than 2xx: status and the problem body (RFC 9457). */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function setCsrf(token) { csrf = token; }

function toLogin() {
  const back = location.pathname + location.search;
  location.replace('/console/login?return=' + encodeURIComponent(back));
}

async function call(method, path, opts = {}, retried = false) {
  const headers = { Accept: opts.text ? 'text/plain' : 'application/json' };
  if (opts.passive) headers['X-Curfew-Passive'] = '1';
  if (method !== 'GET') headers['X-Curfew-CSRF'] = csrf || '';
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const t0 = Date.now();
  const r = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const t1 = Date.now();
  const type = r.headers.get('Content-Type') || '';
  let body = null;
  if (r.status !== 204) {
    body = type.includes('json') ? await r.json().catch(() => null) : await r.text();
  }
  if (r.ok) {
    if (body && typeof body === 'object' && body.server_time) learnServerTime(body.server_time, t0, t1);
    return body;
  }
  const problem = body && typeof body === 'object' ? body : null;
  if (r.status === 401) toLogin(); // the console session ended (curfew.js, following it, says why first)
  // The CSRF key is per server process: after a restart, learn the new token and try once more.
  if (r.status === 403 && problem && (problem.type || '').endsWith(':csrf') && !retried) {
    await me();
    return call(method, path, opts, true);
  }
  throw new ApiError(r.status, problem);
}

export const get = (path, opts) => call('GET', path, opts);
export const post = (path, body, opts = {}) => call('POST', path, { ...opts, body });
export const put = (path, body, opts = {}) => call('PUT', path, { ...opts, body });
export const del = (path, body, opts = {}) => call('DELETE', path, { ...opts, body });

/** Who is signed in; also refreshes the CSRF token. */
export async function me(passive) {
  const m = await get('/console/api/me', { passive });
  setCsrf(m.csrf);
  return m;
}

export const enc = encodeURIComponent;
