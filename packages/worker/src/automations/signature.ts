// Standard Webhooks (standardwebhooks.com): a delivery carries webhook-id, webhook-timestamp and
// webhook-signature = "v1," + base64 HMAC-SHA256 of "id.timestamp.body", keyed with the secret's
// bytes (whsec_ + base64). A receiver verifies it with the standardwebhooks package unchanged.

const fromBase64 = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const toBase64 = (bytes: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(bytes)));

/** A new endpoint secret: whsec_ and 32 random bytes in base64. */
export const newWebhookSecret = () => `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)).buffer as ArrayBuffer)}`;

/** The three headers of one delivery of `body`, signed with `secret` at `timestampS` (seconds). */
export async function signedHeaders(secret: string, id: string, timestampS: number, body: string): Promise<Record<string, string>> {
  const key = await crypto.subtle.importKey('raw', fromBase64(secret.replace(/^whsec_/, '')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestampS}.${body}`));
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': `v1,${toBase64(mac)}` };
}
