import { ApiFailure, api, describeError, type Json } from '../api-client.ts';
import { announce, h, uniqueId } from '../dom.ts';
import { hostnameProblem } from '../hostname-check.ts';

const maxHostnames = 50;

/** Which hostnames accept certificates from which CA: the account CA or an uploaded one. */
export async function renderBindings(panel: HTMLElement, site: Json): Promise<void> {
  const siteId = encodeURIComponent(site['id']);
  const zone = String(site['name']);
  const cas = (await api('GET', `/sites/${siteId}/client-ca-certificates?pageSize=100`))['items'] as Json[];
  const caSelect = h(
    'select',
    { id: 'binding-ca', name: 'ca' },
    h('option', { value: 'account' }, 'Account CA'),
    ...cas.map((ca) => h('option', { value: ca['id'] }, `Custom CA: ${ca['name']} (${ca['commonName']})`)),
  );
  const rows = h('div', { id: 'hostname-rows' });
  const formError = h('div', { class: 'error', role: 'alert' });
  const count = h('div', { class: 'hint', 'aria-live': 'polite' });
  const inputs = () => [...rows.querySelectorAll('input')];
  const updateCount = () => {
    count.textContent = `${inputs().length} of at most ${maxHostnames} hostnames`;
    addButton.disabled = inputs().length >= maxHostnames;
  };
  const addRow = (value = '') => {
    const id = uniqueId('hostname');
    const error = h('span', { class: 'error', id: `${id}-error` });
    const input = h('input', { type: 'text', id, name: 'hostname', value, 'aria-describedby': error.id, placeholder: `app.${zone}` });
    const check = () => {
      const problem = input.value.trim() ? hostnameProblem(input.value, zone) : null;
      error.textContent = problem ?? '';
      if (problem) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    };
    input.addEventListener('input', check);
    const row = h(
      'div',
      { class: 'hostname-row' },
      h('label', { for: id, class: 'visually-hidden' }, 'Hostname'),
      input,
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Remove hostname ${value}`.trim(),
          onclick: () => {
            row.remove();
            updateCount();
          },
        },
        'Remove',
      ),
      error,
    );
    rows.append(row);
    if (value) check();
    updateCount();
    return input;
  };
  const addButton = h('button', { type: 'button', onclick: () => addRow().focus() }, 'Add hostname');
  const load = async () => {
    rows.replaceChildren();
    const binding = await api('GET', `/sites/${siteId}/ca-bindings/${encodeURIComponent(caSelect.value)}`);
    for (const name of binding['hostnames'] as string[]) addRow(name);
    if (!inputs().length) addRow();
  };
  caSelect.addEventListener('change', () => void load());
  const form = h(
    'form',
    { class: 'panel', 'aria-labelledby': 'bind-title' },
    h('h3', { id: 'bind-title' }, 'Bind hostnames'),
    h('div', { class: 'field' }, h('label', { for: caSelect.id }, 'Certificate authority'), caSelect),
    h(
      'p',
      { class: 'hint' },
      `Binding makes edges request and verify client certificates on these hostnames. Each must be ${zone} or a name under it.`,
    ),
    rows,
    count,
    h('div', { class: 'actions' }, addButton, h('button', { type: 'submit', class: 'primary' }, 'Save hostnames')),
    formError,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    const filled = inputs().filter((i) => i.value.trim());
    for (const input of filled) input.dispatchEvent(new Event('input'));
    const invalid = filled.find((i) => i.getAttribute('aria-invalid') === 'true');
    if (invalid) {
      invalid.focus();
      return;
    }
    try {
      const saved = await api('PUT', `/sites/${siteId}/ca-bindings/${encodeURIComponent(caSelect.value)}`, {
        hostnames: filled.map((i) => i.value.trim()),
      });
      announce(`Bound ${(saved['hostnames'] as string[]).length} hostnames to the ${caSelect.selectedOptions[0]?.textContent}.`);
      await load();
    } catch (failure) {
      showServerError(failure, filled, formError);
    }
  });
  panel.append(form);
  await load();
}

/** Puts the server's error beside the field it names (details.hostname), else under the form. */
function showServerError(failure: unknown, inputs: HTMLInputElement[], formError: HTMLElement): void {
  const named = failure instanceof ApiFailure ? failure.details['hostname'] : undefined;
  const matches =
    typeof named === 'string'
      ? inputs.filter((i) => i.value.trim().toLowerCase().replace(/\.$/, '') === named.toLowerCase() || i.value.trim() === named)
      : [];
  // A duplicate is the later of the fields holding the name.
  const target = failure instanceof ApiFailure && failure.code === 'InvalidParameter.DuplicateHostname' ? matches.at(-1) : matches[0];
  if (target) {
    target.setAttribute('aria-invalid', 'true');
    document.getElementById(`${target.id}-error`)!.textContent = describeError(failure);
    target.focus();
  } else formError.textContent = describeError(failure);
}
