import { api, type Json } from '../api-client.ts';
import { h } from '../dom.ts';
import { renderOverview } from './site-overview.ts';
import { renderCertificates } from './certificates.ts';
import { renderBindings } from './bindings.ts';
import { renderCustomCas } from './custom-cas.ts';
import { renderWafRules } from './waf-rules.ts';

const tabs: [string, string, (panel: HTMLElement, site: Json) => Promise<void>][] = [
  ['overview', 'Overview', renderOverview],
  ['certificates', 'Client certificates', renderCertificates],
  ['bindings', 'Hostname bindings', renderBindings],
  ['cas', 'Custom CAs', renderCustomCas],
  ['waf', 'WAF rules', renderWafRules],
];

/** One site: its name and a tab per concern. */
export async function renderSite(main: HTMLElement, siteId: string, tab: string): Promise<void> {
  const site = await api('GET', `/sites/${encodeURIComponent(siteId)}`);
  const current = tabs.find(([id]) => id === tab) ?? tabs[0]!;
  const panel = h('section', { 'aria-labelledby': 'tab-title' });
  main.append(
    h('p', {}, h('a', { href: '#/sites' }, '← Sites')),
    h('h1', {}, site['name']),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Site' },
      ...tabs.map(([id, label]) =>
        h('a', { href: `#/sites/${encodeURIComponent(siteId)}/${id}`, 'aria-current': id === current[0] ? 'page' : undefined }, label),
      ),
    ),
    panel,
  );
  panel.append(h('h2', { id: 'tab-title' }, current[1]));
  await current[2](panel, site);
}
