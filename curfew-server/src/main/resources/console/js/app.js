// The console's shell: who is signed in, the console session's own countdown, navigation between
// pages without reloading (History API), and the one-second tick that moves every countdown.

import { me } from './api.js';
import { h, replace } from './dom.js';
import { countdown, serverNow, ms, words, zone, relative } from './format.js';
import * as overview from './views/overview.js';
import * as sessions from './views/sessions.js';
import * as session from './views/session.js';
import * as audit from './views/audit.js';
import * as policies from './views/policies.js';

const ROUTES = [
  [/^\/console\/?$/, 'overview', overview],
  [/^\/console\/sessions\/?$/, 'sessions', sessions],
  [/^\/console\/sessions\/([A-Za-z0-9_-]+)$/, 'sessions', session],
  [/^\/console\/audit\/?$/, 'audit', audit],
  [/^\/console\/policies\/?$/, 'policies', policies],
];

const ctx = {
  me: null,
  isAdmin: false,
  navigate,
  tick,
};
let current = null;
let rendering = 0;

async function render(moveFocus) {
  if (current && current.stop) current.stop();
  current = null;
  const main = document.getElementById('main');
  const path = location.pathname;
  let found = null;
  for (const [re, nav, view] of ROUTES) {
    const m = re.exec(path);
    if (m) { found = { nav, view, params: m.slice(1) }; break; }
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (found && a.dataset.nav === found.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!found) {
    document.title = 'Not found · Curfew console';
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'There is no such page in the console. ', h('a', { href: '/console', 'data-link': true }, 'Go to the overview')));
    return;
  }
  const mine = ++rendering;
  document.title = `${found.view.title} · Curfew console`;
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const controller = await found.view.default(main, ctx, found.params, new URLSearchParams(location.search));
    if (mine !== rendering) { if (controller && controller.stop) controller.stop(); return; }
    current = controller;
  } catch (e) {
    if (mine !== rendering) return;
    replace(main, h('h1', {}, found.view.title), h('p', { class: 'notice notice-danger', role: 'alert' }, 'This page could not be loaded: ' + e.message));
  }
  if (moveFocus) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus(); }
  }
  tick();
}

/** Goes to a console URL; {replace: true} keeps the history entry, {render: false} only changes the URL. */
function navigate(url, opts = {}) {
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  if (opts.render !== false) render(true);
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-link]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
});
addEventListener('popstate', () => render(true));

/** Every second: countdowns ([data-until]), their bars, how long ago ([data-relative]), and the console session's own clock. */
function tick() {
  const now = serverNow();
  for (const el of document.querySelectorAll('[data-until]:not(.bar)')) {
    const left = ms(el.dataset.until) - now;
    el.textContent = left > 0 ? countdown(left) : el.dataset.over || '0:00';
  }
  for (const bar of document.querySelectorAll('.bar[data-until]')) {
    const until = ms(bar.dataset.until), from = ms(bar.dataset.from);
    const frac = Math.max(0, Math.min(1, (until - now) / Math.max(1, until - from)));
    bar.firstChild.style.width = (frac * 100).toFixed(1) + '%';
    bar.classList.toggle('is-low', frac < 0.15);
  }
  for (const el of document.querySelectorAll('[data-relative]')) {
    const text = relative(el.dataset.relative);
    if (el.textContent !== text) el.textContent = text;
  }
  sessionClock();
}

function sessionClock() {
  const el = document.getElementById('session-clock');
  if (!el || !ctx.me) return;
  const s = window.curfew && window.curfew.status();
  const left = s ? s.ms_left : ms(ctx.me.session.expires_at) - serverNow();
  const warnMs = ctx.me.policy ? ctx.me.policy.warn_before_ms : 120000;
  el.classList.toggle('is-warning', left <= warnMs);
  replace(el, h('span', { class: 'dot', 'aria-hidden': 'true' }), 'Session ends in ', h('strong', {}, countdown(left)));
  // The accessible name starts with the visible text (WCAG 2.5.3 Label in Name: a voice user says
  // what they see), then says the time in words and where the link goes.
  el.setAttribute('aria-label', `Session ends in ${countdown(left)} (${words(left)}) without activity. Open your console session's details.`);
}

async function start() {
  try {
    ctx.me = await me();
  } catch (e) {
    return; // a 401 has already sent the page to the sign-in page
  }
  ctx.isAdmin = ctx.me.scope === 'admin';
  replace(document.getElementById('whoami'), 'Signed in with API key ', h('strong', {}, ctx.me.key), ' ',
    h('span', { class: ['badge', ctx.isAdmin ? 'badge-info' : 'badge-neutral'] }, ctx.me.scope));
  const tz = document.getElementById('time-zone');
  if (tz) tz.textContent = 'Times in ' + zone();
  const clock = document.getElementById('session-clock');
  clock.setAttribute('href', '/console/sessions/' + ctx.me.session.session_id);
  document.getElementById('sign-out').addEventListener('click', () => {
    if (window.curfew) window.curfew.logout();
    else location.replace('/console/login');
  });
  setInterval(tick, 1000);
  await render(false);
}

start();
