import { api, describeError, type Json } from '../api-client.ts';
import { announce, field, h, refresh, table, when } from '../dom.ts';

/** A site's origin settings and its server certificates (with the warning when there is none). */
export async function renderOverview(panel: HTMLElement, site: Json): Promise<void> {
  const siteId = encodeURIComponent(site['id']);
  const origin = field('Origin URL', h('input', { type: 'text', name: 'originUrl', value: site['originUrl'], required: true }));
  const forward = h('input', {
    type: 'checkbox',
    id: 'site-forward',
    name: 'forwardClientCert',
    checked: Boolean(site['forwardClientCert']),
  });
  const edit = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'origin-title' },
    h('h3', { id: 'origin-title' }, 'Origin'),
    origin.element,
    h(
      'div',
      { class: 'field check' },
      h('div', {}, forward, ' ', h('label', { for: forward.id }, 'Send the origin the client certificate (RFC 9440 Client-Cert)')),
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Save origin'),
  );
  edit.addEventListener('submit', async (event) => {
    event.preventDefault();
    origin.setError(null);
    try {
      await api('PATCH', `/sites/${siteId}`, { originUrl: origin.control.value.trim(), forwardClientCert: forward.checked });
      announce('Origin saved.');
    } catch (error) {
      origin.setError(describeError(error));
    }
  });

  const servers = await api('GET', `/sites/${siteId}/server-certificates?pageSize=100`);
  const items = servers['items'] as Json[];
  const warning = items.length
    ? null
    : h(
        'div',
        { class: 'notice', role: 'note' },
        h('strong', {}, 'No server certificate yet. '),
        `Until one is uploaded, edges cannot complete TLS for ${site['name']}: clients fail with "tlsv1 unrecognized name". Upload the certificate chain and key below.`,
      );
  const rows = items.map((c) =>
    h(
      'tr',
      {},
      h('td', {}, (c['hostnames'] as string[]).join(', ')),
      h('td', { class: 'mono' }, c['fingerprintSha256']),
      h('td', {}, when(c['notAfter'])),
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Delete server certificate for ${(c['hostnames'] as string[]).join(', ')}`,
            onclick: async () => {
              if (!confirm('Delete this server certificate?')) return;
              await api('DELETE', `/sites/${siteId}/server-certificates/${encodeURIComponent(c['id'])}`);
              refresh();
            },
          },
          'Delete',
        ),
      ),
    ),
  );
  const chain = field('Certificate chain (PEM, leaf first)', h('textarea', { name: 'certificate', rows: 5, required: true }));
  const key = field(
    'Private key (PEM)',
    h('textarea', { name: 'privateKey', rows: 4, required: true }),
    'Stored encrypted; never shown again.',
  );
  const upload = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'server-upload-title' },
    h('h3', { id: 'server-upload-title' }, 'Upload a server certificate'),
    h('div', { class: 'grid2' }, chain.element, key.element),
    h('button', { type: 'submit', class: 'primary' }, 'Upload server certificate'),
  );
  upload.addEventListener('submit', async (event) => {
    event.preventDefault();
    chain.setError(null);
    try {
      await api('POST', `/sites/${siteId}/server-certificates`, { certificate: chain.control.value, privateKey: key.control.value });
      announce('Server certificate uploaded.');
      refresh();
    } catch (error) {
      chain.setError(describeError(error));
    }
  });
  panel.append(
    edit,
    h('h3', {}, 'Server certificates'),
    ...(warning ? [warning] : []),
    ...(rows.length ? [table(['Hostnames', 'SHA-256 fingerprint', 'Expires', ''], rows, 'Server certificates')] : []),
    upload,
  );
}
