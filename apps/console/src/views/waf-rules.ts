import { ApiFailure, api, describeError, type Json } from '../api-client.ts';
import { announce, field, h, refresh, uniqueId } from '../dom.ts';

/**
 * WAF custom rules of a site: the guide's rule from a form, an expression editor checked by
 * the control plane's parser as it is typed (line and column of each error), order,
 * enable/disable, delete, and the rule tester.
 */
export async function renderWafRules(panel: HTMLElement, site: Json): Promise<void> {
  const siteId = encodeURIComponent(site['id']);
  const ruleset = await api('GET', `/sites/${siteId}/waf-rules`);
  const rules = ruleset['rules'] as Json[];
  const warnings = h('div', { 'aria-live': 'polite' });
  showWarnings(warnings, pendingWarnings);
  pendingWarnings = [];
  panel.append(
    rulesTable(siteId, rules),
    warnings,
    h('div', { class: 'grid2' }, guideRuleForm(siteId, site), expressionEditor(siteId, site)),
    ruleTester(siteId, site, rules),
  );
}

function rulesTable(siteId: string, rules: Json[]): HTMLElement {
  if (!rules.length) return h('p', {}, 'No rules: every request that passes the certificate check reaches the origin.');
  const move = async (index: number, by: number) => {
    const ids = rules.map((r) => r['id'] as string);
    const [id] = ids.splice(index, 1);
    ids.splice(index + by, 0, id!);
    await api('PUT', `/sites/${siteId}/waf-rules/order`, { ruleIds: ids });
    refresh();
  };
  const run = (work: () => Promise<unknown>) => async () => {
    try {
      await work();
      refresh();
    } catch (error) {
      announce(describeError(error));
    }
  };
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, 'WAF rules in evaluation order'),
    h('thead', {}, h('tr', {}, ...['#', 'Name', 'Expression', 'Action', 'Enabled', 'Actions'].map((n) => h('th', { scope: 'col' }, n)))),
    h(
      'tbody',
      {},
      ...rules.map((rule, index) =>
        h(
          'tr',
          { 'data-rule-id': rule['id'] },
          h('td', {}, String(index + 1)),
          h('td', {}, rule['name'] || '—'),
          h('td', { class: 'mono' }, rule['expression']),
          h('td', {}, rule['action']['type'] === 'block' ? `block (${rule['action']['status'] ?? 403})` : rule['action']['type']),
          h('td', {}, h('span', { class: `badge ${rule['enabled'] ? 'ok' : 'muted'}` }, rule['enabled'] ? 'enabled' : 'disabled')),
          h(
            'td',
            {},
            h(
              'div',
              { class: 'actions' },
              h(
                'button',
                { type: 'button', disabled: index === 0, 'aria-label': `Move rule ${index + 1} up`, onclick: run(() => move(index, -1)) },
                '↑',
              ),
              h(
                'button',
                {
                  type: 'button',
                  disabled: index === rules.length - 1,
                  'aria-label': `Move rule ${index + 1} down`,
                  onclick: run(() => move(index, 1)),
                },
                '↓',
              ),
              h(
                'button',
                {
                  type: 'button',
                  onclick: run(() =>
                    api('PATCH', `/sites/${siteId}/waf-rules/${encodeURIComponent(rule['id'])}`, { enabled: !rule['enabled'] }),
                  ),
                },
                rule['enabled'] ? 'Disable' : 'Enable',
              ),
              h(
                'button',
                {
                  type: 'button',
                  'aria-label': `Delete rule ${index + 1}`,
                  onclick: run(async () => {
                    if (confirm('Delete this rule?')) await api('DELETE', `/sites/${siteId}/waf-rules/${encodeURIComponent(rule['id'])}`);
                  }),
                },
                'Delete',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Warnings of the rule saved last, shown once the list is drawn again. */
let pendingWarnings: Json[] = [];

function savedWithWarnings(saved: Json): void {
  pendingWarnings = saved['warnings'] as Json[];
  refresh();
}

function showWarnings(target: HTMLElement, list: Json[]): void {
  target.replaceChildren(...list.map((w) => h('div', { class: 'notice', role: 'note' }, h('strong', {}, `${w['code']}: `), w['message'])));
}

/** "Client Certificate Verified = false and Hostname in {…} → Block", as in the guide. */
function guideRuleForm(siteId: string, site: Json): HTMLElement {
  const verified = field(
    'Client certificate verified',
    h(
      'select',
      { name: 'verified' },
      h('option', { value: 'false' }, 'false (no valid certificate)'),
      h('option', { value: 'true' }, 'true'),
    ),
  );
  const hosts = field(
    'Hostname in',
    h('input', { type: 'text', name: 'hostnames', placeholder: `api.${site['name']} app.${site['name']}` }),
    'One or more hostnames, separated by spaces or commas.',
  );
  const action = field(
    'Action',
    h('select', { name: 'action' }, h('option', { value: 'block' }, 'Block (403)'), h('option', { value: 'log' }, 'Log only')),
  );
  const preview = h('code', { class: 'mono', id: uniqueId('guide-preview') });
  const expression = () => {
    const names = hosts.control.value.split(/[\s,]+/).filter(Boolean);
    const cert = verified.control.value === 'false' ? 'not ssl.client_cert.verified' : 'ssl.client_cert.verified';
    return names.length ? `(${cert} and http.host in {${names.map((n) => JSON.stringify(n.toLowerCase())).join(' ')}})` : `(${cert})`;
  };
  const update = () => (preview.textContent = expression());
  hosts.control.addEventListener('input', update);
  verified.control.addEventListener('change', update);
  update();
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'guide-title' },
    h('h3', { id: 'guide-title' }, 'Block failed authentication'),
    verified.element,
    hosts.element,
    action.element,
    h('p', { class: 'hint' }, 'Expression: ', preview),
    h('button', { type: 'submit', class: 'primary' }, 'Add rule'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    hosts.setError(null);
    if (!hosts.control.value.trim())
      hosts.setError('Without a hostname condition the rule applies to every hostname of the site (the API will warn).');
    try {
      const saved = await api('POST', `/sites/${siteId}/waf-rules`, {
        name: 'Block failed client certificate authentication',
        expression: expression(),
        action: action.control.value === 'block' ? { type: 'block', status: 403 } : { type: 'log' },
      });
      announce('Rule added.');
      savedWithWarnings(saved);
    } catch (error) {
      hosts.setError(describeError(error));
    }
  });
  return form;
}

/** Text of the parser's errors, one per line with line and column. */
function parserErrors(failure: unknown): string {
  if (!(failure instanceof ApiFailure)) return describeError(failure);
  const errors = (failure.details['errors'] as Json[] | undefined) ?? [];
  if (!errors.length) return describeError(failure);
  return errors
    .map((e) =>
      e['line'] !== undefined ? `Line ${e['line']}, column ${e['column']}: ${e['code']}: ${e['message']}` : `${e['code']}: ${e['message']}`,
    )
    .join('\n');
}

function expressionEditor(siteId: string, site: Json): HTMLElement {
  const name = field('Rule name', h('input', { type: 'text', name: 'ruleName', maxlength: 128 }));
  const expression = field(
    'Expression',
    h('textarea', { name: 'expression', rows: 5, spellcheck: 'false' }),
    'e.g. (http.host eq "api.example.com" and not ssl.client_cert.verified)',
  );
  const action = field(
    'Action',
    h(
      'select',
      { name: 'editorAction' },
      h('option', { value: 'block' }, 'Block (403)'),
      h('option', { value: 'log' }, 'Log only'),
      h('option', { value: 'allow' }, 'Allow'),
    ),
  );
  const check = h('pre', { class: 'error', 'aria-live': 'polite', id: uniqueId('parser-errors') });
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The tester parses the expression exactly as saving would, without saving anything.
  expression.control.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = expression.control.value;
      if (!text.trim()) return void (check.textContent = '');
      try {
        await api('POST', `/sites/${siteId}/waf-rules/test`, { expression: text, request: { host: String(site['name']) } });
        check.textContent = '';
        expression.control.removeAttribute('aria-invalid');
      } catch (failure) {
        check.textContent = parserErrors(failure);
        expression.control.setAttribute('aria-invalid', 'true');
      }
    }, 400);
  });
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'editor-title' },
    h('h3', { id: 'editor-title' }, 'Expression editor'),
    name.element,
    expression.element,
    check,
    action.element,
    h('button', { type: 'submit', class: 'primary' }, 'Add rule'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const type = action.control.value;
    try {
      const saved = await api('POST', `/sites/${siteId}/waf-rules`, {
        ...(name.control.value.trim() ? { name: name.control.value.trim() } : {}),
        expression: expression.control.value,
        action: type === 'block' ? { type: 'block', status: 403 } : { type },
      });
      announce('Rule added.');
      savedWithWarnings(saved);
    } catch (failure) {
      check.textContent = parserErrors(failure);
    }
  });
  return form;
}

/** Runs the site's rules (or one expression) against a sample request and an optional PEM. */
function ruleTester(siteId: string, site: Json, rules: readonly Json[]): HTMLElement {
  const host = field('Host', h('input', { type: 'text', name: 'testHost', value: String(site['name']), required: true }));
  const method = field('Method', h('input', { type: 'text', name: 'testMethod', value: 'GET' }));
  const uri = field('Path', h('input', { type: 'text', name: 'testUri', value: '/' }));
  const ip = field('Client IP', h('input', { type: 'text', name: 'testIp', value: '192.0.2.10' }));
  const pem = field(
    'Client certificate (PEM, optional)',
    h('textarea', { name: 'testCertificate', rows: 4 }),
    'Without one, the request presents no certificate.',
  );
  const result = h('div', { 'aria-live': 'polite', id: 'tester-result' });
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'tester-title' },
    h('h3', { id: 'tester-title' }, 'Rule tester'),
    h('div', { class: 'row' }, host.element, method.element, uri.element, ip.element),
    pem.element,
    h('button', { type: 'submit' }, 'Test'),
    result,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const answer = await api('POST', `/sites/${siteId}/waf-rules/test`, {
        request: {
          host: host.control.value.trim(),
          method: method.control.value.trim() || 'GET',
          uri: uri.control.value || '/',
          ...(ip.control.value.trim() ? { ip: ip.control.value.trim() } : {}),
          tls: true,
          ...(pem.control.value.trim() ? { certificatePem: pem.control.value } : {}),
        },
      });
      const decision = answer['decision'] as Json;
      result.replaceChildren(
        h(
          'p',
          {},
          h('strong', {}, `Decision: ${decision['action']}${decision['status'] ? ` (${decision['status']})` : ''}`),
          decision['ruleId'] ? ` — deciding rule: ${ruleLabel(rules, String(decision['ruleId']))}` : ' — no rule decided',
        ),
        h(
          'dl',
          { class: 'facts' },
          ...Object.entries(answer['clientCert'] as Json).flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, String(v))]),
        ),
      );
    } catch (failure) {
      result.replaceChildren(h('p', { class: 'error' }, parserErrors(failure)));
    }
  });
  return form;
}

/** A rule as the tester names it: its position and name, and its id. */
function ruleLabel(rules: readonly Json[], id: string): string {
  const index = rules.findIndex((r) => r['id'] === id);
  return index < 0 ? id : `#${index + 1} ${rules[index]!['name'] || '(unnamed)'} (${id})`;
}
