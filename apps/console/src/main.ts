import { describeError, forgetKey } from './api-client.ts';
import { announce, h } from './dom.ts';
import { resumeSession, type Session } from './session.ts';
import { renderSignIn } from './views/sign-in.ts';
import { renderSites } from './views/sites.ts';
import { renderSite } from './views/site.ts';
import { renderFleet } from './views/fleet.ts';
import { renderAudit } from './views/audit.ts';

/**
 * The console's shell: a hash router (#/sites, #/sites/<id>/<tab>, #/fleet/<tab>, #/audit)
 * over one <main>, a navigation bar for the signed-in kind, and sign-out.
 */
let session: Session | null = null;
/** Bumped by every render, so that only the latest of overlapping renders is shown. */
let generation = 0;

function navLinks(current: string): HTMLAnchorElement[] {
  const links: [string, string][] =
    session?.kind === 'admin'
      ? [
          ['#/fleet/edges', 'Fleet'],
          ['#/fleet/accounts', 'Accounts'],
          ['#/fleet/join-tokens', 'Join tokens'],
          ['#/audit', 'Audit log'],
        ]
      : [
          ['#/sites', 'Sites'],
          ['#/audit', 'Audit log'],
        ];
  return links.map(([href, label]) => h('a', { href, 'aria-current': current.startsWith(href.slice(1)) ? 'page' : undefined }, label));
}

function renderChrome(route: string): void {
  const nav = document.getElementById('nav')!;
  const who = document.getElementById('who')!;
  nav.replaceChildren(...(session ? navLinks(route) : []));
  who.replaceChildren(
    ...(session
      ? [
          h('span', {}, session.kind === 'admin' ? 'Administrator' : 'Account API key'),
          h('button', { type: 'button', onclick: signOut }, 'Sign out'),
        ]
      : []),
  );
}

function signOut(): void {
  forgetKey();
  session = null;
  announce('Signed out.');
  if (location.hash === '#/') void route();
  else location.hash = '#/';
}

async function route(): Promise<void> {
  const main = document.getElementById('main')!;
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const mine = ++generation;
  renderChrome(path);
  const view = h('div', {});
  if (!session) {
    main.replaceChildren(view);
    renderSignIn(view, (signedIn) => {
      session = signedIn;
      const target = signedIn.kind === 'admin' ? '#/fleet/edges' : '#/sites';
      if (location.hash === target) void route();
      else location.hash = target;
    });
    return;
  }
  try {
    if (parts[0] === 'sites' && parts[1]) await renderSite(view, parts[1], parts[2] ?? 'overview');
    else if (parts[0] === 'fleet' && session.kind === 'admin') await renderFleet(view, parts[1] ?? 'edges');
    else if (parts[0] === 'audit') await renderAudit(view, session);
    else if (session.kind === 'admin') await renderFleet(view, 'edges');
    else await renderSites(view);
  } catch (error) {
    view.replaceChildren(h('div', { class: 'alert', role: 'alert' }, describeError(error)));
  }
  if (mine === generation) main.replaceChildren(view);
}

async function start(): Promise<void> {
  session = await resumeSession();
  window.addEventListener('hashchange', () => void route());
  await route();
}

void start();
