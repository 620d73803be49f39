// The "send by email" link of a share link: a mailto: with the same text as the page (seed 000:
// "envoyer par email les informations nécessaires à l'intégration").
import { utc } from './tables';

export function shareMailto(p: { siteName: string; url: string; publicKey: string; expiresAt: number; docs: { href: string; label: string }[] }) {
  const subject = `shopbeacon integration: ${p.siteName}`;
  const body = [
    'Hello,',
    '',
    `Here is what you need to integrate the shopbeacon tracker on ${p.siteName}.`,
    '',
    `Integration page (read-only: code examples, and pages to verify that orders and events arrive), valid until ${utc(new Date(p.expiresAt).toISOString())}:`,
    p.url,
    '',
    `Public key: ${p.publicKey}`,
    'The private key will be given to you separately: keep it on the server.',
    '',
    'Documentation:',
    ...p.docs.map((d) => `- ${d.label}: ${d.href}`),
  ].join('\r\n'); // RFC 6068: line breaks in a mailto body are CRLF
  return `mailto:?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
}
