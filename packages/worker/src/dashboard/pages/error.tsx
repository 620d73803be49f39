import { Layout } from '../layout';

/** A page for refusals of the dashboard and share links (forbidden form, gone link, …). */
export const ErrorPage = ({ title, message, back }: { title: string; message: string; back?: { href: string; label: string } }) => (
  <Layout title={title} nav={{ kind: 'none' }}>
    <p class="intro">{message}</p>
    {back ? (
      <p>
        <a href={back.href}>{back.label}</a>
      </p>
    ) : null}
  </Layout>
);
