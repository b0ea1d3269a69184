import { describeError } from '../api-client.ts';
import { field, h } from '../dom.ts';
import { signIn, type Session } from '../session.ts';

/** The sign-in form: an account API key or the administrator token. */
export function renderSignIn(main: HTMLElement, done: (session: Session) => void): void {
  const key = field(
    'API key or administrator token',
    h('input', { type: 'password', name: 'apiKey', autocomplete: 'off', required: true, spellcheck: 'false' }),
    'Kept in this tab only (session storage) and sent as a Bearer header.',
  );
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'panel signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    key.element,
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    key.setError(null);
    submit.disabled = true;
    try {
      done(await signIn(key.control.value.trim()));
    } catch (error) {
      key.setError(describeError(error));
      key.control.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.append(form);
  key.control.focus();
}
