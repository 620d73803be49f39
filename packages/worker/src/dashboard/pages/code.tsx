import { CodeExamples } from '../components';
import { Layout, type Nav } from '../layout';

export const CodePage = (p: { nav: Nav; origin: string; publicKey: string; customFields: { id: number; name: string }[] }) => (
  <Layout title="Code examples" nav={p.nav}>
    <p class="intro">
      Your public key and this tracker's address are filled in. The private key is never shown again after it is created or rotated:
      put yours in place of YOUR_PRIVATE_KEY, on your server only.
    </p>
    <CodeExamples origin={p.origin} publicKey={p.publicKey} customFields={p.customFields} />
  </Layout>
);
