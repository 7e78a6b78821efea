// Confirmation with a reason, on the native <dialog> (modal: focus stays inside, Escape cancels,
// focus returns to where it was). Resolves with the reason text, or null when cancelled.

import { h } from './dom.js';

let open = 0; // confirmations open now

/**
 * Whether a confirmation is open: live views wait until it closes rather than redraw under it.
 * (curfew.js's warning is a <dialog> too, so `dialog[open]` would count it; it is not asked here.)
 */
export const confirming = () => open > 0;

export function confirmWithReason({ title, text, confirm, placeholder }) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const reason = h('textarea', { id: 'dlg-reason', name: 'reason', 'aria-required': 'true', maxlength: 1024, placeholder: placeholder || '',
      'aria-describedby': 'dlg-reason-help' });
    const error = h('p', { class: 'field-error', id: 'dlg-reason-error', hidden: true }, 'Give a reason: it is kept in the audit record.');
    const ok = h('button', { type: 'submit', class: 'btn btn-danger' }, confirm);
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h('form', { method: 'dialog' },
      h('div', { class: 'dialog-body' },
        h('h2', { id: 'dlg-title' }, title),
        h('p', { id: 'dlg-text' }, text),
        h('div', { class: 'field' },
          h('label', { for: 'dlg-reason' }, 'Reason'),
          reason,
          h('p', { class: 'help', id: 'dlg-reason-help' }, 'Kept verbatim in the audit record, with your API key as the actor.'),
          error)),
      h('div', { class: 'dialog-actions' }, cancel, ok));
    const dlg = h('dialog', { 'aria-labelledby': 'dlg-title', 'aria-describedby': 'dlg-text' }, form);
    let result = null;
    form.addEventListener('submit', (ev) => {
      if (!reason.value.trim()) {
        ev.preventDefault();
        error.hidden = false;
        reason.setAttribute('aria-invalid', 'true');
        reason.setAttribute('aria-describedby', 'dlg-reason-help dlg-reason-error');
        reason.focus();
        return;
      }
      result = reason.value.trim();
    });
    reason.addEventListener('input', () => {
      if (!reason.value.trim()) return;
      error.hidden = true;
      reason.removeAttribute('aria-invalid');
      reason.setAttribute('aria-describedby', 'dlg-reason-help');
    });
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      open--;
      dlg.remove();
      if (back && back.isConnected) back.focus();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    open++;
    reason.focus();
  });
}
