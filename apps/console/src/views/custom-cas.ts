import { ApiFailure, api, describeError, type Json } from '../api-client.ts';
import { announce, field, h, openDialog, refresh, table, when } from '../dom.ts';

/** Uploaded (custom) client CAs: upload, list, details with CRL and hand revocations, delete. */
export async function renderCustomCas(panel: HTMLElement, site: Json): Promise<void> {
  const siteId = encodeURIComponent(site['id']);
  const cas = (await api('GET', `/sites/${siteId}/client-ca-certificates?pageSize=100`))['items'] as Json[];
  const rows = cas.map((ca) =>
    h(
      'tr',
      {},
      h('td', {}, ca['name']),
      h('td', {}, ca['commonName']),
      h('td', { class: 'mono' }, ca['fingerprintSha256']),
      h('td', {}, when(ca['notAfter'])),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', 'aria-label': `Details of ${ca['name']}`, onclick: () => void openDetails(siteId, ca) }, 'Details'),
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'aria-label': `Delete ${ca['name']}`,
              onclick: async () => {
                if (!confirm(`Delete ${ca['name']} with its bindings, CRL and revocations?`)) return;
                await api('DELETE', `/sites/${siteId}/client-ca-certificates/${encodeURIComponent(ca['id'])}`).catch((e) =>
                  announce(describeError(e)),
                );
                refresh();
              },
            },
            'Delete',
          ),
        ),
      ),
    ),
  );
  const name = field('Name', h('input', { type: 'text', name: 'caName', maxlength: 128 }));
  const pem = field(
    'CA certificate (PEM)',
    h('textarea', { name: 'caCertificate', rows: 6, required: true }),
    'Currently valid, basicConstraints CA:TRUE; counts against the plan quota.',
  );
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'ca-upload-title' },
    h('h3', { id: 'ca-upload-title' }, 'Upload a CA'),
    name.element,
    pem.element,
    h('button', { type: 'submit', class: 'primary' }, 'Upload CA'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    pem.setError(null);
    try {
      await api('POST', `/sites/${siteId}/client-ca-certificates`, {
        certificate: pem.control.value,
        ...(name.control.value.trim() ? { name: name.control.value.trim() } : {}),
      });
      announce('CA uploaded. Bind hostnames to it on the Hostname bindings tab.');
      refresh();
    } catch (error) {
      pem.setError(describeError(error));
    }
  });
  panel.append(
    rows.length
      ? table(['Name', 'Common name', 'SHA-256 fingerprint', 'Expires', 'Actions'], rows, 'Custom CAs')
      : h('p', {}, 'No custom CAs.'),
    form,
  );
}

async function openDetails(siteId: string, ca: Json): Promise<void> {
  const base = `/sites/${siteId}/client-ca-certificates/${encodeURIComponent(ca['id'])}`;
  const crlState = h('div', {});
  const revocations = h('div', {});
  const loadCrl = async () => {
    try {
      const crl = await api('GET', `${base}/crl`);
      crlState.replaceChildren(
        facts([
          ['CRL number', crl['crlNumber'] ?? '—'],
          ['This update', when(crl['thisUpdate'])],
          ['Next update', when(crl['nextUpdate'])],
          ['Revoked entries', String(crl['revokedCount'])],
          ['Uploaded', when(crl['uploadedAt'])],
        ]),
      );
    } catch (error) {
      crlState.replaceChildren(h('p', {}, error instanceof ApiFailure && error.status === 404 ? 'No CRL uploaded.' : describeError(error)));
    }
  };
  const loadRevocations = async () => {
    const list = (await api('GET', `${base}/revocations?pageSize=100`))['items'] as Json[];
    revocations.replaceChildren(
      list.length
        ? table(
            ['Serial', 'Reason', 'Revoked', ''],
            list.map((r) =>
              h(
                'tr',
                {},
                h('td', { class: 'mono' }, r['serialNumber']),
                h('td', {}, r['reason'] ?? ''),
                h('td', {}, when(r['revokedAt'])),
                h(
                  'td',
                  {},
                  r['source'] === 'manual'
                    ? h(
                        'button',
                        {
                          type: 'button',
                          'aria-label': `Take back revocation of ${r['serialNumber']}`,
                          onclick: async () => {
                            await api('DELETE', `${base}/revocations/${encodeURIComponent(r['serialNumber'])}`);
                            await loadRevocations();
                          },
                        },
                        'Take back',
                      )
                    : 'deleted certificate',
                ),
              ),
            ),
            'Hand revocations',
          )
        : h('p', {}, 'No serials revoked by hand.'),
    );
  };
  const crlText = field('CRL (PEM, or base64 DER)', h('textarea', { name: 'crl', rows: 4 }));
  const crlForm = h('form', {}, crlText.element, h('button', { type: 'submit' }, 'Upload CRL'));
  crlForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    crlText.setError(null);
    try {
      await api('PUT', `${base}/crl`, { crl: crlText.control.value });
      await loadCrl();
    } catch (error) {
      crlText.setError(describeError(error));
    }
  });
  const serial = field('Serial number (hex)', h('input', { type: 'text', name: 'serialNumber' }));
  const reason = field('Reason (optional)', h('input', { type: 'text', name: 'reason' }));
  const revokeForm = h(
    'form',
    {},
    h('div', { class: 'row' }, serial.element, reason.element),
    h('button', { type: 'submit' }, 'Revoke serial'),
  );
  revokeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    serial.setError(null);
    try {
      await api('POST', `${base}/revocations`, {
        serialNumber: serial.control.value.trim(),
        ...(reason.control.value.trim() ? { reason: reason.control.value.trim() } : {}),
      });
      serial.control.value = '';
      reason.control.value = '';
      await loadRevocations();
    } catch (error) {
      serial.setError(describeError(error));
    }
  });
  const dialog = openDialog(
    `CA ${ca['name']}`,
    facts([
      ['Common name', ca['commonName']],
      ['Subject', ca['subjectDn']],
      ['Serial', ca['serialNumber']],
      ['SHA-256', ca['fingerprintSha256']],
      ['Valid', `${when(ca['notBefore'])} – ${when(ca['notAfter'])}`],
    ]),
    h('h3', {}, 'CRL'),
    crlState,
    crlForm,
    h('h3', {}, 'Hand revocations'),
    revocations,
    revokeForm,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => dialog.close() }, 'Close')),
  );
  await Promise.all([loadCrl(), loadRevocations()]);
}

function facts(pairs: [string, string][]): HTMLDListElement {
  return h('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, v)]));
}
