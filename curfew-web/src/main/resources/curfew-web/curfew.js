/*! curfew.js: the browser client of Curfew. No dependencies, no build step. See docs/curfew-js.md.
 *
 * Follows the session through /_curfew/session/events, warns at warning_at with an accessible
 * dialog ("Stay signed in" / "Sign out"), and at the end runs the app's beforeEnd hooks and goes to
 * the login path with ?return=<path>. Times from the server are corrected by the offset between the
 * server's clock (server_time) and this browser's. Tabs share one state over BroadcastChannel.
 * Drafts kept at an idle expiry come back after a resumed sign-in (the policy's resume_within).
 * Texts in English, German and French (data-locale, else the page's lang, else the browser's).
 */
(() => {
  'use strict';
  if (window.curfew) return;

  const script = document.currentScript;
  // Where an ended session goes. Without it, the page itself is loaded again: the gateway answers an
  // ended session's page navigation with its route's login_path?return=<page>, which it knows and
  // the script does not.
  const LOGIN = (script && script.getAttribute('data-login-path')) || null;
  // Where the session-holder endpoints are: the gateway's by default; the admin console has its own.
  const API = (script && script.getAttribute('data-session-path')) || '/_curfew/session';
  const C = '__curfew';               // every injected class and id starts with this
  const SPEAK_AT_S = [60, 30, 10];    // the countdown is announced at these seconds left (and at the start)
  const HOOK_LEAD_MS = 3000;          // beforeEnd hooks start this long before a foreseen end
  const HOOK_MIN_MS = 1500;           // ...and get at least this long when the end came unforeseen
  const LOGOUT_HOOK_MS = 5000;        // longest wait for the hooks on "Sign out"
  const RETRY_MAX_MS = 30000;         // event stream reconnect back-off limit
  const DAY_MS = 86400000;            // setTimeout cannot wait longer than ~24.8 days; re-plan daily
  const DRAFTS = C + '-drafts';       // localStorage key of the drafts kept at an idle expiry
  const DRAFT_MAX_AGE_MS = DAY_MS;    // the longest resume_within: older drafts are never claimed

  // The texts, per language. {w}: a duration in words, {t}: a time of day. Add a language by
  // adding an entry with every key; 'en' is the fallback.
  const TEXTS = {
    en: {
      title: 'Your session is about to end',
      desc: 'For your security, you will be signed out in {w}. Choose Stay signed in to continue.',
      stay: 'Stay signed in', out: 'Sign out', close: 'Close', again: 'Sign in again',
      endsIn: 'Your session will end in {w}, at {t}.', left: '{w} left.',
      notExtended: 'Not extended. Your session will end in {w}, at {t}.', still: 'You are still signed in.',
      refused: 'Your session cannot be extended further. It will end at {t}, in {w}.',
      unreachable: 'Could not reach the server to extend the session. Try again.',
      signedOut: 'You were signed out',
      displaced: 'Your account signed in again on another device or browser, and it may only have a limited number '
        + 'of sessions at once, so this one was ended. If that was not you, sign in and change your password.',
      restored: 'Your unsaved work from before you were signed out has been restored.',
      units: { hour: ['hour', 'hours'], minute: ['minute', 'minutes'], second: ['second', 'seconds'] },
    },
    de: {
      title: 'Ihre Sitzung läuft bald ab',
      desc: 'Zu Ihrer Sicherheit werden Sie in {w} abgemeldet. Wählen Sie „Angemeldet bleiben“, um fortzufahren.',
      stay: 'Angemeldet bleiben', out: 'Abmelden', close: 'Schließen', again: 'Erneut anmelden',
      endsIn: 'Ihre Sitzung endet in {w}, um {t}.', left: 'Noch {w}.',
      notExtended: 'Nicht verlängert. Ihre Sitzung endet in {w}, um {t}.', still: 'Sie sind weiterhin angemeldet.',
      refused: 'Ihre Sitzung kann nicht weiter verlängert werden. Sie endet um {t}, in {w}.',
      unreachable: 'Der Server war nicht erreichbar, die Sitzung wurde nicht verlängert. Versuchen Sie es erneut.',
      signedOut: 'Sie wurden abgemeldet',
      displaced: 'Ihr Konto wurde auf einem anderen Gerät oder in einem anderen Browser erneut angemeldet, und es darf '
        + 'nur eine begrenzte Zahl von Sitzungen zugleich haben; deshalb wurde diese beendet. Wenn Sie das nicht waren, '
        + 'melden Sie sich an und ändern Sie Ihr Passwort.',
      restored: 'Ihre ungespeicherte Arbeit von vor der Abmeldung wurde wiederhergestellt.',
      units: { hour: ['Stunde', 'Stunden'], minute: ['Minute', 'Minuten'], second: ['Sekunde', 'Sekunden'] },
    },
    fr: {
      title: 'Votre session va bientôt se terminer',
      desc: 'Pour votre sécurité, vous serez déconnecté dans {w}. Choisissez « Rester connecté » pour continuer.',
      stay: 'Rester connecté', out: 'Se déconnecter', close: 'Fermer', again: 'Se reconnecter',
      endsIn: 'Votre session se terminera dans {w}, à {t}.', left: 'Encore {w}.',
      notExtended: 'Non prolongée. Votre session se terminera dans {w}, à {t}.', still: 'Vous êtes toujours connecté.',
      refused: 'Votre session ne peut plus être prolongée. Elle se terminera à {t}, dans {w}.',
      unreachable: 'Impossible de joindre le serveur pour prolonger la session. Réessayez.',
      signedOut: 'Vous avez été déconnecté',
      displaced: 'Votre compte s’est reconnecté sur un autre appareil ou navigateur, et il ne peut avoir qu’un nombre '
        + 'limité de sessions à la fois ; celle-ci a donc été fermée. Si ce n’était pas vous, connectez-vous et changez '
        + 'votre mot de passe.',
      restored: 'Votre travail non enregistré d’avant la déconnexion a été restauré.',
      units: { hour: ['heure', 'heures'], minute: ['minute', 'minutes'], second: ['seconde', 'secondes'] },
    },
  };
  // A page may add or correct languages with <script type="application/json" id="curfew-texts">
  // {"it": {"title": "...", ...}}</script> before this script; a key it leaves out stays English.
  try {
    const own = document.getElementById('curfew-texts');
    const added = own ? JSON.parse(own.textContent) : {};
    for (const l in added) {
      const base = String(l).toLowerCase();
      const t = Object.assign({}, TEXTS.en, TEXTS[base], added[l]);
      t.units = Object.assign({}, TEXTS.en.units, (TEXTS[base] || {}).units, added[l].units);
      TEXTS[base] = t;
    }
  } catch (e) { console.error('curfew.js: #curfew-texts is not valid JSON', e); }
  /** The first of data-locale, the page's lang, the browser's languages that has texts ('de-CH': 'de'). */
  const LANG = (() => {
    const wanted = [script && script.getAttribute('data-locale'), document.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    for (const l of wanted) {
      const base = String(l || '').toLowerCase().split(/[-_]/)[0];
      if (TEXTS[base]) return base;
    }
    return 'en';
  })();
  const T = TEXTS[LANG];
  const fill = (text, w, t) => text.replace('{w}', w).replace('{t}', t);
  const plural = new Intl.PluralRules(LANG);

  let st = null;          // the last status body, on the server's clock
  let skew = 0;           // server clock minus this browser's clock, ms
  let es = null;          // the EventSource
  let retryMs = 1000;
  let planTimer = 0, tickTimer = 0;
  let warnedFor = 0;      // expires_at (ms) the warning was given for
  let dismissedFor = 0;   // expires_at (ms) the user closed the dialog for without extending
  let early = null;       // {e, p}: hooks started ahead of the end foreseen at e
  let ending = false, checking = false, spoken = Infinity, returnFocus = null;
  let root, left, note, stay, out, close, live, liveIn;
  let leave = null;       // set while the notice of a displaced session is shown: goes on to the login page
  const warnCbs = [], endCbs = [], restoreCbs = [];
  const drafts = {};      // kept by saveDraft, written at an idle expiry
  let restored = null;    // what came back after a resumed sign-in: {resumed_from, drafts, page, saved_at}
  let draftsChecked = false;
  // On the login path there is no session to follow: the script stays inert there (no channel
  // either, or a late "ended" from another tab would send the login page to itself).
  // Without data-login-path the login page is not known here: a page that never saw its session live
  // (the login page, a public one) ends nothing and goes nowhere (finish).
  const LOGIN_PATH = LOGIN && LOGIN.split('?')[0];
  const INERT = !!LOGIN && (location.pathname === LOGIN_PATH || location.pathname.startsWith(LOGIN_PATH.replace(/\/?$/, '/')));
  const bc = !INERT && typeof BroadcastChannel === 'function' ? new BroadcastChannel(API === '/_curfew/session' ? 'curfew' : 'curfew ' + API) : null;

  const at = (iso) => (iso ? Date.parse(iso) : NaN);
  const now = () => Date.now() + skew;          // the server's clock, as well as we know it
  const exp = () => (st ? at(st.expires_at) : NaN);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const post = (m) => { if (bc) try { bc.postMessage(m); } catch (e) { /* closed */ } };
  const reasonOf = () => (st && st.absolute_expires_at === st.expires_at ? 'absolute_timeout' : 'idle_timeout');

  function words(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000)), m = Math.floor(s / 60), r = s % 60;
    const n = (k, u) => k + ' ' + T.units[u][plural.select(k) === 'one' ? 0 : 1];
    if (m >= 60) return n(Math.floor(m / 60), 'hour') + (m % 60 ? ' ' + n(m % 60, 'minute') : '');
    return m ? n(m, 'minute') + (r ? ' ' + n(r, 'second') : '') : n(r, 'second');
  }
  const clock = (serverMs) => new Date(serverMs - skew).toLocaleTimeString(LANG, { hour: 'numeric', minute: '2-digit' });

  // ------------------------------------------------------------------ server calls

  /** One /_curfew call. A 401 ends the session here and in every tab. */
  async function call(method, path) {
    const t0 = Date.now();
    const r = await fetch(API + path, { method, credentials: 'same-origin', cache: 'no-store',
      headers: { Accept: 'application/json' }, keepalive: method === 'DELETE' });
    const t1 = Date.now();
    let body = null;
    if (r.status !== 204) try { body = await r.json(); } catch (e) { /* not JSON */ }
    if (r.status === 401) finish((body && body.reason) || 'unknown');
    if (r.ok && body && body.server_time) {
      skew = at(body.server_time) - (t0 + t1) / 2; // the answer was made about half-way
      apply(body, true);
    }
    return { status: r.status, body };
  }
  const refresh = () => call('GET', '');

  async function extend() {
    const r = await call('POST', '/extend');
    if (r.status === 200) {
      post({ t: 'extended', s: r.body, skew });
      hide();
      call('POST', '/warning-ack').catch(() => {});
      return status();
    }
    const b = r.body || {};
    const err = new Error(b.detail || b.title || 'extend failed: ' + r.status);
    err.reason = b.reason || (r.status === 401 ? 'ended' : 'http_' + r.status);
    throw err;
  }

  const logout = () => finish('logged_out', true);

  /** The last status, its instants moved onto this browser's clock. */
  function status() {
    if (!st) return null;
    const s = Object.assign({}, st);
    for (const k in s) if ((/_at$/.test(k) || k === 'server_time') && s[k]) s[k] = new Date(at(s[k]) - skew).toISOString();
    s.clock_skew_ms = Math.round(skew);
    s.ms_left = Math.max(0, exp() - now());
    return s;
  }

  // ------------------------------------------------------------------ state

  function apply(s, share) {
    if (ending || !s || !s.expires_at) return;
    if (st && at(s.server_time) < at(st.server_time)) return; // older news
    const before = exp();
    st = s;
    if (!draftsChecked) { draftsChecked = true; restoreDrafts(s); }
    const e = exp();
    if (e !== before && isOpen()) {
      if (now() < at(s.warning_at)) hide(); // extended, here or in another tab, or activity
      else warnedFor = e;
    }
    if (share) post({ t: 'status', s, skew });
    plan();
  }

  /** Sets one timer for the next instant that matters: warning_at, the hook lead, expires_at. */
  function plan() {
    clearTimeout(planTimer);
    if (ending || !st) return;
    const t = now(), e = exp(), w = at(st.warning_at);
    if (t >= e) return verifyEnd();
    if (t >= w) verifyWarn();
    if (t >= e - HOOK_LEAD_MS && (!early || early.e !== e)) {
      early = { e, p: hooks(reasonOf(), e - t) };
    }
    const next = Math.min(...[w, e - HOOK_LEAD_MS, e].filter((x) => x > t));
    planTimer = setTimeout(plan, Math.max(50, Math.min(next - t + 20, DAY_MS)));
  }

  /** The local timer reached warning_at: confirm with the server (activity may have moved it). */
  function verifyWarn() {
    const e = exp();
    if (checking || warnedFor === e || dismissedFor === e) return;
    checking = true;
    refresh().then(() => { checking = false; if (now() >= at(st.warning_at)) warn(); },
      () => { checking = false; warn(); });
  }

  /** The local timer reached expires_at: the server decides; unreachable, we end anyway. */
  function verifyEnd() {
    if (checking) return;
    checking = true;
    refresh().then(() => { checking = false; if (now() >= exp()) finish(reasonOf()); else plan(); },
      () => { checking = false; finish(reasonOf()); });
  }

  function warn(fromTab) {
    const e = exp();
    if (ending || !st || warnedFor === e || dismissedFor === e) return;
    warnedFor = e;
    if (!fromTab) post({ t: 'warning', s: st, skew });
    const info = { expires_at: new Date(e - skew).toISOString(), seconds_left: Math.ceil((e - now()) / 1000) };
    let own = false;
    for (const cb of warnCbs) try { if (cb(info) === false) own = true; } catch (err) { console.error(err); }
    if (!own) show();
  }

  /** beforeEnd hooks, awaited together, but never longer than boundMs. */
  function hooks(reason, boundMs) {
    const info = { reason, ms_left: Math.max(0, Math.round(boundMs)) };
    const all = Promise.all(endCbs.map((cb) => Promise.resolve().then(() => cb(info)).catch((e) => console.error(e))));
    return Promise.race([all, sleep(Math.max(0, boundMs))]);
  }

  /** The end: hooks first (bounded by the time left), then the login page. */
  async function finish(reason, byLogout, fromTab) {
    if (ending) return;
    ending = true;
    if (!LOGIN && !st) { // no session was followed here: stay quiet, never reload into a loop
      if (es) { es.close(); es = null; }
      return;
    }
    clearTimeout(planTimer);
    if (es) { es.close(); es = null; }
    const e = exp();
    if (early && early.e === e) await Promise.race([early.p, sleep(HOOK_MIN_MS)]);
    else await hooks(reason, byLogout ? LOGOUT_HOOK_MS : HOOK_MIN_MS); // the session is already over: no time is left
    if (byLogout) try { await fetch(API, { method: 'DELETE', credentials: 'same-origin', keepalive: true }); } catch (x) { /* ended anyway */ }
    if (!fromTab) post({ t: 'ended', reason });
    keepDrafts(reason);
    if (reason === 'concurrency_limit') await tellDisplaced();
    const back = location.pathname + location.search;
    if (!LOGIN) location.replace(back); // the gateway sends the ended session's navigation to its route's login page
    else location.replace(byLogout ? LOGIN : LOGIN + (LOGIN.indexOf('?') < 0 ? '?' : '&') + 'return=' + encodeURIComponent(back));
  }

  // ------------------------------------------------------------------ event stream

  function follow() {
    if (ending || es) return;
    es = new EventSource(API + '/events');
    const on = (name, fn) => es.addEventListener(name, (ev) => {
      let d = {};
      try { d = JSON.parse(ev.data); } catch (x) { /* keep {} */ }
      fn(d);
    });
    es.onopen = () => { retryMs = 1000; };
    on('status', (s) => { skew = at(s.server_time) - Date.now(); apply(s, false); });
    on('extended', (s) => apply(s, false));
    on('warning', (d) => {
      if (st && d.expires_at) st = Object.assign({}, st, { expires_at: d.expires_at });
      warn();
      plan();
    });
    on('expired', (d) => finish(d.reason || reasonOf()));
    // A revocation names its reason: revoked, replayed, idp_logout, or concurrency_limit (displaced).
    on('revoked', (d) => finish(d.reason || 'revoked'));
    on('logged_out', () => finish('logged_out'));
    es.onerror = () => {
      if (ending || !es || es.readyState !== EventSource.CLOSED) return; // CONNECTING: the browser retries
      es = null; // refused (401, 429, 5xx): a 401 on refresh ends the session, anything else retries
      refresh().catch(() => {}).then(() => setTimeout(follow, retryMs));
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    };
  }

  if (bc) bc.onmessage = ({ data: m }) => {
    if (!m || ending) return;
    if (m.s) { skew = m.skew; apply(m.s, false); }
    if (m.t === 'warning') warn(true);
    else if (m.t === 'extended') hide();
    else if (m.t === 'dismissed') { dismissedFor = m.e; hide(); }
    else if (m.t === 'ended') finish(m.reason, false, true);
  };

  // ------------------------------------------------------------------ drafts

  const readKept = () => { try { return JSON.parse(localStorage.getItem(DRAFTS)); } catch (e) { return null; } };
  const dropKept = () => { try { localStorage.removeItem(DRAFTS); } catch (e) { /* no storage */ } };

  /**
   * At the end, after the hooks and after every answer of the ended session (whose Clear-Site-Data
   * empties localStorage): an idle expiry keeps the drafts, under the session's id, for a sign-in
   * that resumes it. Any other end (revoked, logged out, absolute timeout ...) keeps nothing.
   */
  function keepDrafts(reason) {
    if (!st) return;
    for (const el of document.querySelectorAll('[data-curfew-draft]')) {
      const k = draftKey(el);
      if (k && el.value) drafts[FIELD + location.pathname + '#' + k] = el.value;
    }
    if (reason !== 'idle_timeout' || !Object.keys(drafts).length) return;
    const old = readKept(); // another tab of the same session may have kept its own already
    const same = old && old.session_id === st.session_id;
    try {
      localStorage.setItem(DRAFTS, JSON.stringify({ session_id: st.session_id, page: location.pathname,
        saved_at: Date.now(), drafts: Object.assign(same ? old.drafts : {}, drafts) }));
    } catch (e) { /* storage full or refused: nothing to restore */ }
  }

  const FIELD = 'field:';
  const draftKey = (el) => el.getAttribute('data-curfew-draft') || el.id || el.name;

  /**
   * The first status of this page: drafts kept under the session it resumes come back (fields
   * marked data-curfew-draft on the same page, then the onRestore callbacks); drafts kept under any
   * other session are deleted unread.
   */
  function restoreDrafts(s) {
    const kept = readKept();
    if (!kept) return;
    if (!s.resumed_from || kept.session_id !== s.resumed_from || !(Date.now() - kept.saved_at < DRAFT_MAX_AGE_MS)) {
      if (kept.session_id !== s.session_id) dropKept();
      return;
    }
    dropKept();
    const fields = {}, own = {}, here = FIELD + location.pathname + '#';
    for (const k in kept.drafts) {
      if (!k.startsWith(FIELD)) own[k] = kept.drafts[k];
      else if (k.startsWith(here)) fields[k.slice(here.length)] = kept.drafts[k];
    }
    restored = { resumed_from: s.resumed_from, page: kept.page, saved_at: new Date(kept.saved_at).toISOString(),
      drafts: own, fields };
    const give = () => {
      let filled = 0;
      for (const el of document.querySelectorAll('[data-curfew-draft]')) {
        const k = draftKey(el);
        if (k in fields && !el.value) {
          el.value = fields[k];
          el.dispatchEvent(new Event('input', { bubbles: true }));
          filled++;
        }
      }
      for (const cb of restoreCbs) try { cb(restored); } catch (err) { console.error(err); }
      // Said only when something visibly came back or the app took the drafts.
      if (filled || restoreCbs.length) setTimeout(() => speak(T.restored), 700);
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', give); else give();
  }

  // ------------------------------------------------------------------ the dialog

  const CSS = `.$ {--_bg:var(--curfew-bg,#fff);--_fg:var(--curfew-fg,#1b1b1f);--_ac:var(--curfew-accent,#0b57d0);
--_on:var(--curfew-on-accent,#fff);--_r:var(--curfew-radius,10px);font:16px/1.5 var(--curfew-font,system-ui,sans-serif)}
.$[hidden],.$ [hidden]{display:none!important}
.$-dlg::backdrop{background:rgba(0,0,0,.6)}
.$-dlg{position:fixed;inset:0;margin:auto;box-sizing:border-box;height:fit-content;
width:min(30rem,calc(100vw - 2rem));max-width:none;max-height:calc(100vh - 2rem);overflow:auto;padding:1.5rem;
border:0;background:var(--_bg);color:var(--_fg);border-radius:var(--_r);box-shadow:0 12px 40px rgba(0,0,0,.4);
text-align:left;animation:$-in .2s ease-out}
.$-dlg h2{margin:0 0 .5rem;font:inherit;font-size:1.3rem;font-weight:700;color:inherit}
.$-dlg p{margin:0 0 1rem;color:inherit}
.$-row{display:flex;flex-wrap:wrap;gap:.75rem;justify-content:flex-end}
.$-dlg button{font:inherit;font-weight:600;min-height:44px;padding:.5rem 1.1rem;border-radius:calc(var(--_r) / 2);
border:2px solid var(--_ac);background:transparent;color:var(--_fg);cursor:pointer}
.$-dlg .$-stay{background:var(--_ac);color:var(--_on)}
.$-dlg button:focus-visible{outline:3px solid var(--_ac);outline-offset:3px}
.$-dlg button[disabled]{opacity:.6;cursor:progress}
.$-sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
html.$-checking body,html.$-ended body{visibility:hidden}
html.$-ended .$-dlg,html.$-ended .$-sr{visibility:visible}
@keyframes $-in{from{opacity:0;transform:translateY(4%)}}
@media (prefers-reduced-motion:reduce){.$-dlg{animation:none}}
@media (forced-colors:active){.$-dlg{border:2px solid CanvasText}}`.replace(/\$/g, C);

  function build() {
    if (root || !document.body) return;
    const style = document.createElement('style');
    if (script && script.nonce) style.nonce = script.nonce; // for a Content-Security-Policy with nonces
    style.textContent = CSS;
    document.head.appendChild(style);
    live = document.createElement('div');
    live.className = C + '-sr';
    live.setAttribute('aria-live', 'polite');
    live.setAttribute('aria-atomic', 'true');
    live.lang = LANG; // the page may be in another language (WCAG 2.2 SC 3.1.2 Language of Parts)
    // A <dialog> shown with showModal(): the browser's top layer, above anything else the page
    // shows, even a modal dialog of its own (which a z-index could never cover), and the topmost
    // modal, so the rest of the page is inert until it closes and that dialog is as it was.
    root = document.createElement('dialog');
    root.className = C + ' ' + C + '-dlg';
    root.lang = LANG;
    root.setAttribute('role', 'alertdialog');
    root.setAttribute('aria-modal', 'true');
    root.setAttribute('aria-labelledby', C + '-title');
    root.setAttribute('aria-describedby', C + '-desc');
    const [descBefore, descAfter] = T.desc.split('{w}');
    root.innerHTML = `<h2 id="${C}-title"></h2>
<p id="${C}-desc"><span></span><strong class="${C}-left"></strong><span></span></p><p class="${C}-note" hidden></p>
<div class="${C}-row"><button type="button" class="${C}-stay"></button><button type="button" class="${C}-close" hidden></button>
<button type="button" class="${C}-out"></button></div><div class="${C}-sr" aria-live="polite" aria-atomic="true"></div>`;
    // Texts as text, never as markup: a translation cannot inject anything.
    root.querySelector('#' + C + '-title').textContent = T.title;
    const spans = root.querySelectorAll('#' + C + '-desc span');
    spans[0].textContent = descBefore;
    spans[1].textContent = descAfter || '';
    const q = (c) => root.querySelector('.' + C + '-' + c);
    liveIn = root.querySelector('[aria-live]');
    left = q('left'); note = q('note'); stay = q('stay'); out = q('out'); close = q('close');
    stay.textContent = T.stay; out.textContent = T.out; close.textContent = T.close;
    stay.addEventListener('click', onStay);
    out.addEventListener('click', () => { out.disabled = true; logout(); });
    close.addEventListener('click', dismiss);
    root.addEventListener('keydown', onKey);
    // Escape reaches onKey first; a close request that comes some other way (a platform's back
    // gesture) is the same choice: no extension.
    root.addEventListener('cancel', (ev) => { ev.preventDefault(); if (isOpen()) dismiss(); });
    document.body.append(live, root);
    // Focus that leaves the open dialog comes back. Under a modal nothing else takes focus but a
    // modal the page opened since, which covers this one: the dialog goes back on top first.
    let raising = false;
    document.addEventListener('focusin', (ev) => {
      if (raising || !isOpen() || root.contains(ev.target)) return;
      raising = true;
      try { open(); } finally { raising = false; }
      first().focus();
    });
  }

  const isOpen = () => !!root && root.open;
  const buttons = () => [stay, close, out].filter((b) => !b.hidden && !b.disabled);
  const first = () => buttons()[0] || root;
  // Said in both live regions: the one in the dialog is heard while it is open (a modal dialog
  // makes the rest of the page inert, this region too), the one in the page once it is closed.
  const speak = (text) => { if (live) live.textContent = liveIn.textContent = text; };
  /** Shows the dialog as the topmost modal; a dialog already open is brought back to the top. */
  function open() {
    if (!root.isConnected) document.body.append(live, root); // the page replaced its body
    if (root.open) root.close();
    root.showModal();
  }

  function show() {
    build();
    if (!root || isOpen()) return;
    returnFocus = document.activeElement;
    note.hidden = true; stay.hidden = false; close.hidden = true; stay.disabled = out.disabled = false;
    open();
    stay.focus();
    const ms = exp() - now();
    spoken = Math.ceil(ms / 1000);
    tick();
    clearInterval(tickTimer);
    tickTimer = setInterval(tick, 1000);
    // After the dialog's own announcement: polite, so it waits its turn.
    setTimeout(() => speak(fill(T.endsIn, words(ms), clock(exp()))), 700);
  }

  function hide() {
    if (!isOpen()) return;
    clearInterval(tickTimer);
    root.close();
    const f = returnFocus;
    returnFocus = null;
    if (f && f.isConnected && typeof f.focus === 'function') f.focus();
  }

  function tick() {
    const ms = exp() - now();
    left.textContent = words(ms);
    const s = Math.ceil(ms / 1000);
    for (const a of SPEAK_AT_S) if (s <= a && a < spoken) { spoken = a; speak(fill(T.left, words(ms))); break; }
  }

  function onKey(ev) {
    if (ev.key === 'Escape') { ev.preventDefault(); dismiss(); return; }
    if (ev.key !== 'Tab') return;
    const b = buttons(), i = b.indexOf(document.activeElement);
    ev.preventDefault(); // Tab and Shift+Tab cycle inside the dialog
    b[ev.shiftKey ? (i <= 0 ? b.length - 1 : i - 1) : (i + 1) % b.length].focus();
  }

  /**
   * The session was ended for a newer one of the same account (the policy's max_sessions_per_subject):
   * a user sent to the login page without a word would not know why, or that someone else may hold
   * their account. The page is hidden behind the notice until the user chooses to sign in again.
   */
  function tellDisplaced() {
    build();
    if (!root) return Promise.resolve();
    return new Promise((resolve) => {
      leave = resolve;
      root.querySelector('#' + C + '-title').textContent = T.signedOut;
      root.querySelector('#' + C + '-desc').textContent = T.displaced;
      note.hidden = true; stay.hidden = true; out.hidden = true;
      close.hidden = false; close.disabled = false; close.textContent = T.again;
      document.documentElement.classList.add(C + '-ended');
      returnFocus = null;
      open();
      close.focus();
      speak(T.displaced);
    });
  }

  /** Escape or Close: the dialog goes away, the session is NOT extended, and the user is told so. */
  function dismiss() {
    if (leave) { leave(); return; } // the notice of a displaced session: on to the login page
    dismissedFor = exp();
    post({ t: 'dismissed', e: dismissedFor });
    hide();
    speak(fill(T.notExtended, words(exp() - now()), clock(exp())));
    call('POST', '/warning-ack').catch(() => {});
  }

  async function onStay() {
    stay.disabled = true;
    try {
      await extend();
      speak(T.still);
    } catch (err) {
      if (ending) return;
      stay.disabled = false;
      const text = err.reason === 'extension_refused' ? fill(T.refused, words(exp() - now()), clock(exp())) : T.unreachable;
      note.textContent = text;
      note.hidden = false;
      if (err.reason === 'extension_refused') { stay.hidden = true; close.hidden = false; close.focus(); }
      speak(text);
    }
  }

  // ------------------------------------------------------------------ start

  window.curfew = Object.freeze({
    onWarning(cb) { warnCbs.push(cb); return () => warnCbs.splice(warnCbs.indexOf(cb) >>> 0, 1); },
    beforeEnd(cb) { endCbs.push(cb); return () => endCbs.splice(endCbs.indexOf(cb) >>> 0, 1); },
    extend, logout, status,
    /** Keeps {@code value} (JSON) under {@code key} for a sign-in that resumes this session; null forgets it. */
    saveDraft(key, value) {
      if (value === null || value === undefined) delete drafts[String(key)];
      else drafts[String(key)] = JSON.parse(JSON.stringify(value));
    },
    /** {@code cb({resumed_from, page, saved_at, drafts, fields})} when drafts come back after a resumed sign-in. */
    onRestore(cb) {
      restoreCbs.push(cb);
      if (restored) Promise.resolve().then(() => cb(restored));
      return () => restoreCbs.splice(restoreCbs.indexOf(cb) >>> 0, 1);
    },
    locale: LANG,
  });
  if (INERT) return;

  // Back-forward cache: a restored page shows nothing until the server says the session lives.
  addEventListener('pageshow', (ev) => {
    if (!ev.persisted || ending) return;
    const html = document.documentElement;
    html.classList.add(C + '-checking');
    refresh().then((r) => { if (r.status !== 401) html.classList.remove(C + '-checking'); },
      () => html.classList.remove(C + '-checking'));
    if (es) { es.close(); es = null; }
    follow();
  });
  // Timers in background tabs are throttled: look again when the tab is shown.
  document.addEventListener('visibilitychange', () => { if (!document.hidden) plan(); });
  if (document.body) build(); else document.addEventListener('DOMContentLoaded', build);
  follow();
})();
