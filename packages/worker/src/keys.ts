// Site keys. Both are random: the public key (pk_…, 128 bits) names the site and may be seen by
// anyone; the private key (sk_…, 256 bits) is printed once and stored only as its SHA-256.
// With 256 random bits, a fast hash is as safe as a slow one: there is nothing to brute-force.
// Runs in the Worker and in Node (the `npm run site` CLI): Web Crypto only.

export const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const random = (n: number) => base64url(crypto.getRandomValues(new Uint8Array(n)));

export const PUBLIC_KEY = /^pk_[A-Za-z0-9_-]{22}$/;
export const PRIVATE_KEY = /^sk_[A-Za-z0-9_-]{43}$/;

export const newPublicKey = () => `pk_${random(16)}`;
export const newPrivateKey = () => `sk_${random(32)}`;

/** SHA-256 of a text, in hex: what keys, tokens and session ids are stored as. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export const hashKey = sha256Hex;
