/** Small DOM helpers: elements from tag, attributes and children; labelled form fields. */

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;

/**
 * Creates an element. Attributes starting with `on` are event listeners; `true` sets a
 * boolean attribute, `false`/`undefined` leaves it out; text children are text nodes (never HTML).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

let nextId = 0;
/** A document-unique id for pairing labels, hints and errors with their inputs. */
export function uniqueId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled input (or select/textarea) with an optional hint and an error slot tied by aria-describedby. */
export interface Field {
  readonly element: HTMLElement;
  readonly control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
  /** Shows `message` under the control and marks it invalid; null clears it. */
  setError(message: string | null): void;
}

export function field(label: string, control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, hint?: string): Field {
  control.id ||= uniqueId('f');
  const hintId = `${control.id}-hint`;
  const errorId = `${control.id}-error`;
  const error = h('div', { class: 'error', id: errorId });
  control.setAttribute('aria-describedby', hint ? `${hintId} ${errorId}` : errorId);
  const element = h(
    'div',
    { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('div', { class: 'hint', id: hintId }, hint) : null,
    error,
  );
  return {
    element,
    control,
    setError(message) {
      error.textContent = message ?? '';
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    },
  };
}

/** Announces a short message to screen readers and shows it under the header. */
export function announce(message: string): void {
  const status = document.getElementById('status');
  if (status) status.textContent = message;
}

/** A table with a header row and one row per item. */
export function table(headers: readonly string[], rows: readonly HTMLTableRowElement[], caption?: string): HTMLTableElement {
  return h(
    'table',
    {},
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', {}, h('tr', {}, ...headers.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, ...rows),
  );
}

/** An ISO timestamp as `YYYY-MM-DD HH:MM UTC`, compact and unambiguous for tables. */
export function when(iso: string | undefined): string {
  return iso ? `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—';
}

/** Renders the current view again (the router listens to hashchange). */
export function refresh(): void {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Opens `content` in a modal dialog, focused on its first control; removes it on close. */
export function openDialog(label: string, ...content: Child[]): HTMLDialogElement {
  const titleId = uniqueId('dialog-title');
  const dialog = h('dialog', { 'aria-labelledby': titleId }, h('h2', { id: titleId }, label), ...content);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
