// What a share link opens: docs links, the public key, the code examples and the verify views,
// read-only. No settings, no private key, no form that changes anything.
import { CodeExamples } from '../components';
import type { OrdersPerHour } from '../data';
import { Layout } from '../layout';
import type { Table } from '../tables';
import { utc } from '../tables';
import { EventsSection, OrdersSection, RejectionsSection } from './views';

export interface SharedPageProps {
  base: string;
  siteName: string;
  publicKey: string;
  origin: string;
  expiresAt: number;
  docs: { href: string; label: string }[];
  customFields: { id: number; name: string }[];
  orders: Table;
  hours: OrdersPerHour;
  events: Table;
  rejections: Table;
  q: string;
}

export const SharedPage = (p: SharedPageProps) => (
  <Layout title={`Integration: ${p.siteName}`} nav={{ kind: 'share', siteName: p.siteName }}>
    <p class="intro">{`Shared with you to integrate the tracker. This page is read-only and works until ${utc(new Date(p.expiresAt).toISOString())}.`}</p>
    <nav class="toc" aria-label="On this page">
      <a href="#docs">Documentation</a> <a href="#keys">Public key</a> <a href="#verify">Verify order upload</a> <a href="#events-view">Recent events</a>{' '}
      <a href="#rejected">Rejected requests</a> <a href="#code">Code examples</a>
    </nav>
    <section id="docs">
      <h2>Documentation</h2>
      <ul>
        {p.docs.map((d) => (
          <li>
            <a href={d.href} rel="noreferrer">
              {d.label}
            </a>
          </li>
        ))}
      </ul>
    </section>
    <section id="keys">
      <h2>Public key</h2>
      <p>
        <code id="public-key">{p.publicKey}</code>
      </p>
      <p class="hint">The private key is the shop owner's: ask them to put it in your server's configuration.</p>
    </section>
    <section id="verify">
      <h2>Verify order upload</h2>
      <OrdersSection table={p.orders} q={p.q} base={p.base} hours={p.hours} />
    </section>
    <section id="events-view">
      <h2>Recent events</h2>
      <EventsSection table={p.events} base={p.base} />
    </section>
    <section id="rejected">
      <h2>Rejected requests</h2>
      <RejectionsSection table={p.rejections} base={p.base} />
    </section>
    <section id="code">
      <h2>Code examples</h2>
      <CodeExamples origin={p.origin} publicKey={p.publicKey} customFields={p.customFields} />
    </section>
  </Layout>
);
