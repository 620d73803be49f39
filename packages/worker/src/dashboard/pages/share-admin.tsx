// Seed 000, "Envoyez les informations d'intégration": read-only links for the shop's developer,
// created, listed and revoked here; the link itself is shown once, when it is created.
import { CodeBlock, CsrfInput, Notice } from '../components';
import { Layout, type Nav } from '../layout';
import { SHARE_DAYS_DEFAULT, SHARE_DAYS_MAX, type ShareLink } from '../share';
import { utc } from '../tables';

export interface CreatedLink {
  url: string;
  expiresAt: number;
  mailto: string;
}

const when = (ms: number) => utc(new Date(ms).toISOString());

export const SharePage = (p: { nav: Nav; csrf: string; links: ShareLink[]; created?: CreatedLink; revoked?: boolean }) => (
  <Layout title="Share integration info" nav={p.nav}>
    <p class="intro">
      A read-only link for the developer working on your shop: the documentation links, your public key, the code examples and the three verify views
      (orders, events, rejected requests). It shows no settings and no private key, expires, and can be revoked here at any time.
    </p>
    {p.revoked ? <Notice kind="ok">Link revoked: it no longer opens.</Notice> : null}
    {p.created ? (
      <Notice kind="ok">
        <CodeBlock id="share-url" title="The new link, shown this once" code={p.created.url}>
          <p>{`Valid until ${when(p.created.expiresAt)}. Only its hash is stored: copy it now.`}</p>
        </CodeBlock>
        <p>
          <a class="button" id="share-mailto" href={p.created.mailto}>
            Send by email
          </a>
        </p>
      </Notice>
    ) : null}
    <form method="post" action="/dashboard/share" class="card share-create">
      <CsrfInput token={p.csrf} />
      <div class="field">
        <label for="label">For whom (a note for you)</label>
        <input id="label" name="label" maxlength={100} placeholder="Agency developer" autocomplete="off" />
      </div>
      <div class="field">
        <label for="days">Valid for (days, 1 to {SHARE_DAYS_MAX})</label>
        <input id="days" name="days" type="number" min={1} max={SHARE_DAYS_MAX} value={String(SHARE_DAYS_DEFAULT)} />
      </div>
      <button type="submit">Create a link</button>
    </form>
    <h2>Active links</h2>
    {p.links.length ? (
      <div class="table-box">
        <table class="data" id="share-links">
          <thead>
            <tr>
              <th scope="col">For</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span class="sr-only">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {p.links.map((l) => (
              <tr>
                <td data-label="For">{l.label}</td>
                <td data-label="Created">{when(l.created_at)}</td>
                <td data-label="Expires">{when(l.expires_at)}</td>
                <td data-label="">
                  <form method="post" action={`/dashboard/share/${l.id}/revoke`}>
                    <CsrfInput token={p.csrf} />
                    <button type="submit" class="danger">
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <p>No active link.</p>
    )}
  </Layout>
);
