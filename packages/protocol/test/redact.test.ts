// Personal data out of tracked URLs (redact.ts): what the SDK redacts before a page view leaves
// the page, and what the Worker redacts in every URL it stores.
import { describe, expect, it } from 'vitest';
import { REDACT_PARAMS, REDACTED, redactEmails, redactUrl, urlRedactor } from '../src/index';

const R = REDACTED;
const by = (names: string) => (href: string) => redactUrl(href, urlRedactor(names));

describe('redactUrl', () => {
  const clean = by(REDACT_PARAMS);
  it('redacts the values of the default parameters, any case, and keeps the rest of the URL as it was', () => {
    expect(clean('https://shop.example/thanks?order=7&email=jane%40doe.com&City=Rouen&E=x&token=abc#top')).toBe(
      `https://shop.example/thanks?order=7&email=${R}&City=Rouen&E=${R}&token=${R}#top`,
    );
    expect(clean('https://shop.example/p?q=a+b&x=%20&tel=0612345678')).toBe(`https://shop.example/p?q=a+b&x=%20&tel=${R}`);
    expect(clean('https://shop.example/?emailing=1&e2=3')).toBe('https://shop.example/?emailing=1&e2=3'); // names match whole
  });

  it('redacts email addresses anywhere: path, other parameters, percent-encoded', () => {
    expect(clean('https://shop.example/account/jane.doe+shop@mail.example.co.uk/orders')).toBe(`https://shop.example/account/${R}/orders`);
    expect(clean('https://shop.example/?ref=jane%40doe.com&u=2')).toBe(`https://shop.example/?ref=${R}&u=2`);
    expect(clean('https://shop.example/?next=%2Fa%3Fuser%3Djane%40doe.com')).toBe(`https://shop.example/?next=%2Fa%3Fuser%3D${R}`);
    expect(clean('https://shop.example/@brand/page')).toBe('https://shop.example/@brand/page'); // not an address
    expect(clean('https://cdn.example/logo@2x.png?v=1')).toBe('https://cdn.example/logo@2x.png?v=1'); // nor a resolution suffix
  });

  it('takes the names a shop gives, comma-separated; anything but letters, digits, _ and - separates them', () => {
    expect(by('coupon, ref')('https://shop.example/?coupon=SUMMER&ref=ad&email=j%40d.fr')).toBe(`https://shop.example/?coupon=${R}&ref=${R}&email=${R}`);
    expect(by('')('https://shop.example/?email=keep&token=keep')).toBe('https://shop.example/?email=keep&token=keep');
    expect(() => by('a(b,[c')('https://shop.example/?a=1')).not.toThrow();
    expect(by('a(b')('https://shop.example/?a=1&b=2&c=3')).toBe(`https://shop.example/?a=${R}&b=${R}&c=3`);
  });
});

describe('redactEmails', () => {
  it('replaces every address of a text, and nothing else', () => {
    expect(redactEmails('https://x.example/a?u=A.B@C.example&v=d%40e.org')).toBe(`https://x.example/a?u=${R}&v=${R}`);
    expect(redactEmails('https://x.example/a?u=1')).toBe('https://x.example/a?u=1');
  });
});
