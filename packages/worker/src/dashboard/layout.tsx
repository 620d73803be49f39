// The page shell: one stylesheet and one script, both served by the Worker (assets.ts), so the
// Content-Security-Policy allows no inline script or style at all.
import type { Child } from 'hono/jsx';
import { ASSET_VERSION } from './assets';
import { CsrfInput } from './components';

export type Nav =
  | { kind: 'dashboard'; active: string; siteName: string; csrf: string }
  | { kind: 'share'; siteName: string }
  | { kind: 'none' };

const LINKS = [
  ['orders', 'Verify orders'],
  ['events', 'Events'],
  ['rejections', 'Rejected'],
  ['settings', 'Settings'],
  ['webhooks', 'Webhooks'],
  ['deliveries', 'Deliveries'],
  ['imports', 'Imports'],
  ['code', 'Code examples'],
  ['share', 'Share'],
] as const;

function Menu({ nav }: { nav: Nav }) {
  if (nav.kind === 'none') return null;
  if (nav.kind === 'share') return <p class="site">{nav.siteName} · read-only integration page</p>;
  return (
    <>
      <p class="site">{nav.siteName}</p>
      <nav aria-label="Dashboard">
        {LINKS.map(([path, label]) => (
          <a href={`/dashboard/${path}`} aria-current={nav.active === path ? 'page' : undefined}>
            {label}
          </a>
        ))}
        <form method="post" action="/dashboard/logout" class="logout">
          <CsrfInput token={nav.csrf} />
          <button type="submit">Log out</button>
        </form>
      </nav>
    </>
  );
}

export function Layout(props: { title: string; nav: Nav; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        {/* No favicon request (a 404 in every console); data: is allowed by img-src. */}
        <link rel="icon" href="data:," />
        <title>{`${props.title} · shopbeacon`}</title>
        <link rel="stylesheet" href={`/dashboard/assets/dashboard.css?v=${ASSET_VERSION}`} />
        <script src={`/dashboard/assets/dashboard.js?v=${ASSET_VERSION}`} defer></script>
      </head>
      <body>
        <header class="top">
          <span class="brand">shopbeacon</span>
          <Menu nav={props.nav} />
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}
