import { api, describeError, type Json } from '../api-client.ts';
import { announce, field, h, openDialog, refresh, table, when } from '../dom.ts';

/** Administrator pages: edges and their configuration, accounts, join tokens. */
export async function renderFleet(main: HTMLElement, tab: string): Promise<void> {
  if (tab === 'accounts') return renderAccounts(main);
  if (tab === 'join-tokens') return renderJoinTokens(main);
  return renderEdges(main);
}

function age(iso: string | undefined): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
}

async function renderEdges(main: HTMLElement): Promise<void> {
  const answer = await api('GET', '/edges');
  const current = answer['systemVersion'] as number | undefined;
  const rows = (answer['items'] as Json[]).map((edge) => {
    const types = edge['types'] as Json[];
    const inSync = types.length > 0 && types.every((t) => t['inSync'] === true);
    const acked = types
      .map((t) => t['ackedAt'] as string | undefined)
      .filter(Boolean)
      .sort()[0];
    const nack = types.map((t) => t['lastNack'] as Json | undefined).find(Boolean);
    const versions = [...new Set(types.map((t) => t['systemVersion']).filter((v) => v !== undefined))].join(', ') || '—';
    return h(
      'tr',
      {},
      h('td', { class: 'mono' }, edge['nodeId']),
      h('td', {}, h('span', { class: `badge ${edge['connected'] ? 'ok' : 'bad'}` }, edge['connected'] ? 'connected' : 'disconnected')),
      h('td', {}, versions),
      h('td', {}, h('span', { class: `badge ${inSync ? 'ok' : 'bad'}` }, inSync ? 'in sync' : 'not in sync')),
      h(
        'td',
        {},
        acked ? `ACK ${when(acked)}` : '—',
        nack ? h('div', { class: 'error' }, `NACK ${when(nack['at'])}: ${nack['code']} ${nack['message']}`) : null,
      ),
      h('td', {}, age(acked)),
      h('td', {}, when(edge['lastSeen'])),
    );
  });
  main.append(
    h('h1', {}, 'Fleet'),
    h(
      'p',
      {},
      current === undefined ? 'This replica serves no discovery right now.' : `Current configuration version of this replica: ${current}.`,
    ),
    rows.length
      ? table(['Edge', 'Stream', 'Configuration version', 'Sync', 'Last ACK / NACK', 'Configuration age', 'Last seen'], rows, 'Edges')
      : h('p', {}, 'No edge has connected to this replica.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: refresh }, 'Refresh')),
  );
}

async function renderAccounts(main: HTMLElement): Promise<void> {
  const page = await api('GET', '/accounts?pageSize=100');
  const rows = (page['items'] as Json[]).map((a) =>
    h(
      'tr',
      {},
      h('td', {}, a['name']),
      h('td', { class: 'mono' }, a['id']),
      h('td', {}, String(a['plan']['customCaQuota'])),
      h('td', {}, when(a['createdAt'])),
    ),
  );
  const name = field('Account name', h('input', { type: 'text', name: 'accountName', required: true, maxlength: 128 }));
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'new-account-title' },
    h('h2', { id: 'new-account-title' }, 'Create an account'),
    name.element,
    h('button', { type: 'submit', class: 'primary' }, 'Create account'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    name.setError(null);
    try {
      const created = await api('POST', '/accounts', { name: name.control.value.trim() });
      secretDialog('Account created', 'Its first API key, shown only now:', created['apiKey']['secret']);
    } catch (error) {
      name.setError(describeError(error));
    }
  });
  main.append(
    h('h1', {}, 'Accounts'),
    rows.length ? table(['Name', 'Id', 'Custom CA quota', 'Created'], rows, 'Accounts') : h('p', {}, 'No accounts.'),
    form,
  );
}

async function renderJoinTokens(main: HTMLElement): Promise<void> {
  const page = await api('GET', '/edge-join-tokens');
  const rows = ((page['items'] as Json[]) ?? []).map((t) =>
    h(
      'tr',
      {},
      h('td', {}, t['name'] ?? '—'),
      h('td', {}, when(t['expiresAt'])),
      h('td', {}, `${t['uses'] ?? 0} / ${t['maxUses']}`),
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Delete join token ${t['name'] ?? t['id']}`,
            onclick: async () => {
              await api('DELETE', `/edge-join-tokens/${encodeURIComponent(t['id'])}`).catch((e) => announce(describeError(e)));
              refresh();
            },
          },
          'Delete',
        ),
      ),
    ),
  );
  const name = field('Name', h('input', { type: 'text', name: 'tokenName', maxlength: 128 }));
  const uses = field('Edges it may enroll', h('input', { type: 'number', name: 'maxUses', min: 1, value: 1 }));
  const ttl = field('Valid for (seconds)', h('input', { type: 'number', name: 'ttlSeconds', min: 60, value: 3600 }));
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'new-token-title' },
    h('h2', { id: 'new-token-title' }, 'Create a join token'),
    h('div', { class: 'row' }, name.element, uses.element, ttl.element),
    h('button', { type: 'submit', class: 'primary' }, 'Create join token'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    name.setError(null);
    try {
      const created = await api('POST', '/edge-join-tokens', {
        ...(name.control.value.trim() ? { name: name.control.value.trim() } : {}),
        maxUses: Number(uses.control.value),
        ttlSeconds: Number(ttl.control.value),
      });
      secretDialog(
        'Join token created',
        'The token, shown only now (PORTCULLIS_JOIN_TOKEN_FILE holds it on the edge):',
        created['token'],
        h(
          'p',
          {},
          'Fleet CA SHA-256 (PORTCULLIS_FLEET_CA_SHA256): ',
          h('code', { class: 'mono', 'data-fleet-ca': '' }, created['fleetCaFingerprintSha256']),
        ),
      );
    } catch (error) {
      name.setError(describeError(error));
    }
  });
  main.append(
    h('h1', {}, 'Join tokens'),
    rows.length ? table(['Name', 'Expires', 'Used', ''], rows, 'Join tokens') : h('p', {}, 'No join tokens.'),
    form,
  );
}

/** Shows a secret the API returns once (an API key, a join token), with a copy button. */
function secretDialog(title: string, text: string, secret: string, extra?: HTMLElement): void {
  const dialog = openDialog(
    title,
    h('p', {}, text),
    h('pre', { class: 'pem', tabindex: 0, 'data-secret': '' }, secret),
    extra,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: () => void navigator.clipboard.writeText(secret) }, 'Copy'),
      h('button', { type: 'button', class: 'primary', onclick: () => dialog.close() }, 'Done'),
    ),
  );
  dialog.addEventListener('close', refresh);
}
