import { Layout } from '../layout';
import { Notice } from '../components';

/** The login form: the site's public and private keys (seed 000, "Clés API"). */
export const LoginPage = ({ error, publicKey = '' }: { error?: string; publicKey?: string }) => (
  <Layout title="Log in to your shop's tracker" nav={{ kind: 'none' }}>
    {error ? <Notice kind="error">{error}</Notice> : null}
    <form method="post" action="/dashboard/login" class="card login">
      <label for="public_key">Public key</label>
      <input id="public_key" name="public_key" value={publicKey} required autocomplete="username" spellcheck={false} placeholder="pk_…" />
      <label for="private_key">Private key</label>
      <input id="private_key" name="private_key" type="password" required autocomplete="current-password" placeholder="sk_…" />
      <button type="submit">Log in</button>
    </form>
    <p class="hint">
      The keys <code>npm run site -- create</code> printed. Lost the private key? <code>npm run site -- rotate --public-key pk_…</code> prints a new one.
    </p>
  </Layout>
);
