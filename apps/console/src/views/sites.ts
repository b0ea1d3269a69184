import { api, describeError, type Json } from '../api-client.ts';
import { announce, field, h, table, when } from '../dom.ts';

/** Sites of the account: a list and a form to create one. */
export async function renderSites(main: HTMLElement): Promise<void> {
  const page = await api('GET', '/sites?pageSize=100');
  const rows = (page['items'] as Json[]).map((site) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `#/sites/${encodeURIComponent(site['id'])}/overview` }, site['name'])),
      h('td', { class: 'mono' }, site['originUrl']),
      h('td', {}, site['forwardClientCert'] ? 'yes' : 'no'),
      h('td', {}, when(site['createdAt'])),
    ),
  );
  const name = field(
    'Zone',
    h('input', { type: 'text', name: 'name', required: true, placeholder: 'example.com' }),
    "The site's zone; hostnames are it or names under it.",
  );
  const origin = field(
    'Origin URL',
    h('input', { type: 'text', name: 'originUrl', required: true, placeholder: 'https://origin.example.net' }),
  );
  const forward = h('input', { type: 'checkbox', name: 'forwardClientCert', id: 'new-site-forward' });
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'new-site-title' },
    h('h2', { id: 'new-site-title' }, 'Create a site'),
    h('div', { class: 'row' }, name.element, origin.element),
    h(
      'div',
      { class: 'field check' },
      h('div', {}, forward, ' ', h('label', { for: forward.id }, 'Send the origin the client certificate (RFC 9440 Client-Cert)')),
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Create site'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    name.setError(null);
    origin.setError(null);
    try {
      const site = await api('POST', '/sites', {
        name: name.control.value.trim(),
        originUrl: origin.control.value.trim(),
        forwardClientCert: forward.checked,
      });
      announce(`Site ${site['name']} created. Upload its server certificate next.`);
      location.hash = `#/sites/${encodeURIComponent(site['id'])}/overview`;
    } catch (error) {
      (describeError(error).includes('Origin') ? origin : name).setError(describeError(error));
    }
  });
  main.append(
    h('h1', {}, 'Sites'),
    rows.length ? table(['Zone', 'Origin', 'Forwards certificate', 'Created'], rows, 'Sites') : h('p', {}, 'No sites yet.'),
    form,
  );
}
