import { api, type Json } from '../api-client.ts';
import { field, h, table, when } from '../dom.ts';
import type { Session } from '../session.ts';

const pageSize = 50;

/** The audit log, newest first, with filters: account (administrator), action and actor on the page. */
export async function renderAudit(main: HTMLElement, session: Session): Promise<void> {
  const query = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const pageNumber = Number(query.get('page') ?? '1') || 1;
  const accountId = query.get('account') ?? '';
  const params = new URLSearchParams({ pageNumber: String(pageNumber), pageSize: String(pageSize), ...(accountId ? { accountId } : {}) });
  const page = await api('GET', `/audit-log?${params}`);
  const entries = page['items'] as Json[];
  const accounts = session.kind === 'admin' ? ((await api('GET', '/accounts?pageSize=100'))['items'] as Json[]) : [];
  const account = field(
    'Log of',
    h(
      'select',
      { name: 'auditAccount' },
      h('option', { value: '' }, 'The administrator (accounts, join tokens, fleet)'),
      ...accounts.map((a) => h('option', { value: a['id'], selected: a['id'] === accountId }, `Account ${a['name']} (${a['id']})`)),
    ),
  );
  const action = field('Action contains', h('input', { type: 'search', name: 'auditAction' }));
  const actor = field('Actor contains', h('input', { type: 'search', name: 'auditActor' }));
  const body = h('div', {});
  const show = () => {
    const a = action.control.value.trim().toLowerCase();
    const who = actor.control.value.trim().toLowerCase();
    const rows = entries
      .filter((e) => (!a || String(e['action']).toLowerCase().includes(a)) && (!who || String(e['actor']).toLowerCase().includes(who)))
      .map((e) =>
        h(
          'tr',
          {},
          h('td', {}, when(e['at'])),
          h('td', {}, e['actor']),
          h('td', {}, e['action']),
          h('td', { class: 'mono' }, `${e['target']['kind']} ${e['target']['id']}`),
          h('td', { class: 'mono' }, e['details'] ? JSON.stringify(e['details']) : ''),
          h('td', { class: 'mono' }, e['requestId']),
        ),
      );
    body.replaceChildren(
      rows.length ? table(['When', 'Actor', 'Action', 'Target', 'Details', 'Request'], rows, 'Audit log') : h('p', {}, 'No entries.'),
    );
  };
  action.control.addEventListener('input', show);
  actor.control.addEventListener('input', show);
  const go = (n: number, acc = accountId) => {
    location.hash = `#/audit?${new URLSearchParams({ page: String(n), ...(acc ? { account: acc } : {}) })}`;
  };
  const accountForm = h('form', { class: 'toolbar' }, account.element, h('button', { type: 'submit' }, 'Show'));
  accountForm.addEventListener('submit', (event) => {
    event.preventDefault();
    go(1, account.control.value.trim());
  });
  const pages = Math.max(1, Math.ceil(Number(page['totalCount']) / pageSize));
  show();
  main.append(
    h('h1', {}, 'Audit log'),
    ...(session.kind === 'admin' ? [accountForm] : []),
    h('div', { class: 'row' }, action.element, actor.element),
    body,
    h(
      'div',
      { class: 'pager' },
      h('button', { type: 'button', disabled: pageNumber <= 1, onclick: () => go(pageNumber - 1) }, 'Previous page'),
      h('span', {}, `Page ${pageNumber} of ${pages}`),
      h('button', { type: 'button', disabled: pageNumber >= pages, onclick: () => go(pageNumber + 1) }, 'Next page'),
    ),
  );
}
