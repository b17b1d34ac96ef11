/* global document, fetch, sessionStorage */
// Signing in to the dashboard: the API key is asked for in a form and kept in this tab's
// sessionStorage only — not in a cookie (sent without asking), nor in localStorage (kept after the
// tab closes). Every request sends it as a Bearer header; a 401 forgets it and asks again.

const KEY_ITEM = 'xsaga.apiKey';
const $ = (id) => document.getElementById(id);

/** Thrown when the server wants a (better) key: the sign-in form is showing, there is nothing else to report. */
export class SignInNeeded extends Error {}

/**
 * Wires the form (`#sign-in`, `#api-key`, `#sign-in-error`), the `#sign-out` button and the
 * `#dashboard` they hide and show.
 *
 * @example
 * const signIn = createSignIn({ onSignedIn: start, onSignedOut: () => clearTimeout(timer) });
 * const response = await signIn.fetch('/machines');
 */
export function createSignIn({ onSignedIn, onSignedOut }) {
  const key = () => sessionStorage.getItem(KEY_ITEM) ?? '';

  function show(message) {
    sessionStorage.removeItem(KEY_ITEM);
    document.body.dataset.signedOut = 'true';
    $('dashboard').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-error').hidden = !message;
    $('sign-in-error').textContent = message ?? '';
    $('api-key').focus();
    onSignedOut();
  }

  function hide() {
    delete document.body.dataset.signedOut;
    $('sign-in').hidden = true;
    $('dashboard').hidden = false;
    $('sign-out').hidden = false;
  }

  $('sign-in').addEventListener('submit', (e) => {
    e.preventDefault();
    const entered = $('api-key').value.trim();
    if (!entered) return;
    sessionStorage.setItem(KEY_ITEM, entered);
    $('api-key').value = '';
    hide();
    onSignedIn();
  });
  $('sign-out').addEventListener('click', () => show(''));

  return {
    /** Whether a key is stored; if not, shows the form. */
    ready() {
      if (key()) hide();
      else show('');
      return key() !== '';
    },
    /** `fetch` with the key (a GET, or `init`'s method and body); on 401 shows the form and throws SignInNeeded. */
    async fetch(path, headers = {}, init = {}) {
      const sent = key();
      const response = await fetch(path, { ...init, headers: { ...headers, ...(sent ? { authorization: `Bearer ${sent}` } : {}) } });
      if (response.status === 401) {
        show(sent ? 'That key was not accepted: check it, or ask for another.' : '');
        throw new SignInNeeded();
      }
      return response;
    },
  };
}
