import { api, describeError, type Json } from '../api-client.ts';
import { announce, field, h, openDialog, refresh, when } from '../dom.ts';
import { openCreateCertificate } from './create-certificate.ts';

const pageSize = 20;

/** Client certificates of a site: create, list (filter, pages), revoke with confirmation, activate, delete. */
export async function renderCertificates(panel: HTMLElement, site: Json): Promise<void> {
  const siteId = encodeURIComponent(site['id']);
  const pageNumber = Number(new URLSearchParams(location.hash.split('?')[1] ?? '').get('page') ?? '1') || 1;
  const page = await api('GET', `/sites/${siteId}/client-certificates?pageNumber=${pageNumber}&pageSize=${pageSize}`);
  const items = page['items'] as Json[];
  const search = h('input', { type: 'search', name: 'filter', placeholder: 'common name, serial or fingerprint' });
  const tbody = h('tbody', {});
  const show = () => {
    const needle = search.value.trim().toLowerCase().replaceAll(':', '');
    tbody.replaceChildren(
      ...items
        .filter(
          (c) =>
            !needle ||
            [c['commonName'], c['serialNumber'], c['fingerprintSha256']].some((v: string) =>
              v.toLowerCase().replaceAll(':', '').includes(needle),
            ),
        )
        .map((c) => certificateRow(siteId, c)),
    );
  };
  search.addEventListener('input', show);
  show();
  const total = Number(page['totalCount']);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const go = (n: number) => {
    location.hash = `#/sites/${siteId}/certificates?page=${n}`;
  };
  panel.append(
    h(
      'div',
      { class: 'toolbar' },
      field('Search this page', search).element,
      h('button', { type: 'button', class: 'primary', onclick: () => openCreateCertificate(site) }, 'Create certificate'),
    ),
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, 'Client certificates'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Status', 'Common name', 'Serial', 'SHA-256 fingerprint', 'Expires', 'Actions'].map((n) => h('th', { scope: 'col' }, n)),
        ),
      ),
      tbody,
    ),
    h(
      'div',
      { class: 'pager' },
      h('button', { type: 'button', disabled: pageNumber <= 1, onclick: () => go(pageNumber - 1) }, 'Previous page'),
      h('span', {}, `Page ${pageNumber} of ${pages} (${total} certificates)`),
      h('button', { type: 'button', disabled: pageNumber >= pages, onclick: () => go(pageNumber + 1) }, 'Next page'),
    ),
  );
}

function certificateRow(siteId: string, c: Json): HTMLTableRowElement {
  const id = encodeURIComponent(c['id']);
  const active = c['status'] === 'active';
  /** A row action; `run` resolves false when the user called it off. */
  const act = (label: string, done: string, run: () => Promise<unknown>, cls?: string) =>
    h(
      'button',
      {
        type: 'button',
        class: cls,
        'aria-label': `${label} ${c['commonName']}`,
        onclick: async () => {
          try {
            if ((await run()) === false) return;
            announce(done);
            refresh();
          } catch (error) {
            announce(describeError(error));
          }
        },
      },
      label,
    );
  return h(
    'tr',
    { 'data-certificate-id': c['id'] },
    h('td', {}, h('span', { class: `badge ${active ? 'ok' : 'bad'}` }, c['status'])),
    h('td', {}, c['commonName']),
    h('td', { class: 'mono' }, c['serialNumber']),
    h('td', { class: 'mono' }, c['fingerprintSha256']),
    h('td', {}, when(c['notAfter'])),
    h(
      'td',
      {},
      h(
        'div',
        { class: 'actions' },
        active
          ? h(
              'button',
              { type: 'button', class: 'danger', 'aria-label': `Revoke ${c['commonName']}`, onclick: () => openRevoke(siteId, c) },
              'Revoke',
            )
          : act('Activate', `${c['commonName']} activated.`, () => api('POST', `/sites/${siteId}/client-certificates/${id}/activate`)),
        act('Delete', `${c['commonName']} deleted.`, async () => {
          if (!confirm(`Delete ${c['commonName']}? Its serial stays revoked at the edges.`)) return false;
          return api('DELETE', `/sites/${siteId}/client-certificates/${id}`);
        }),
      ),
    ),
  );
}

/** Revocation needs the explicit confirmation the original asks for. */
function openRevoke(siteId: string, c: Json): void {
  const confirmBox = h('input', { type: 'checkbox', id: 'revoke-confirm', name: 'confirm' });
  const revoke = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Revoke certificate');
  const error = h('div', { class: 'error', role: 'alert' });
  confirmBox.addEventListener('change', () => (revoke.disabled = !confirmBox.checked));
  const form = h(
    'form',
    { method: 'dialog' },
    h('p', {}, `Edges refuse ${c['commonName']} (serial ${c['serialNumber']}) from their next update. It can be activated again later.`),
    h(
      'div',
      { class: 'field check' },
      h('div', {}, confirmBox, ' ', h('label', { for: confirmBox.id }, 'I confirm that the certificate is no longer required')),
    ),
    error,
    h('div', { class: 'actions' }, revoke, h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/sites/${siteId}/client-certificates/${encodeURIComponent(c['id'])}/revoke`, { confirm: confirmBox.checked });
      dialog.close();
      announce(`${c['commonName']} revoked.`);
      refresh();
    } catch (failure) {
      error.textContent = describeError(failure);
    }
  });
  const dialog = openDialog(`Revoke ${c['commonName']}`, form);
  confirmBox.focus();
}
