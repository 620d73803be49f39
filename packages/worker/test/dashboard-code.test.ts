import { describe, expect, it } from 'vitest';
// @ts-expect-error: a Vite ?raw import (the file's text); the tsconfig has no Vite client types
import phpExample from '../../../examples/php/update-order.php?raw';
// @ts-expect-error: as above
import phpCustomerExample from '../../../examples/php/update-customer.php?raw';
import { phpUpdateOrder } from '../src/dashboard/snippets';
import { Client, loggedIn } from './dashboard-client';
import { newSite, put } from './helpers';

describe('code examples', () => {
  it('the PHP example is examples/php/update-order.php line for line, but for the URL, order id and state, and keys', () => {
    const filled = phpUpdateOrder('https://tracker.example', 'pk_AAAAAAAAAAAAAAAAAAAAAA');
    // The lines that read the environment (and the header comment that says so) differ.
    const differs = (l: string) => /getenv\(|\$shopbeacon_url =|\$order_id =|\$order_state =|CURLOPT_USERPWD/.test(l);
    const body = (text: string) => text.split('\n').filter((l, i, all) => !differs(l) && !(i < all.findIndex((x) => x.includes('$shopbeacon_url')) && l.trim().startsWith('//')));
    expect(body(filled).length).toBeGreaterThan(80);
    expect(body(filled)).toEqual(body(phpExample as string));
    expect(filled).toContain('$shopbeacon_url = "https://tracker.example";');
    expect(filled).toContain('curl_setopt($curl, CURLOPT_USERPWD, "pk_AAAAAAAAAAAAAAAAAAAAAA" . ":" . "YOUR_PRIVATE_KEY");');
    expect(filled).toContain('. $curl_error . "\\n");'); // a PHP escape, not a line break
  });

  it('what a merchant copies is in English, names state 10 as the API does, and has none of the original\'s typos', () => {
    const copied = { snippet: phpUpdateOrder('https://tracker.example', 'pk_AAAAAAAAAAAAAAAAAAAAAA'), 'update-order.php': phpExample as string, 'update-customer.php': phpCustomerExample as string };
    for (const [name, text] of Object.entries(copied)) {
      // "seed": the help pages this was written from, which a merchant does not have; the others: French and typos of SPREAD's example.
      expect(text.match(/seed|taked|recieved|commande|produit|ajout|suppression|sauvegarde|donn[ée]es|r[ée]ponse|appel|merci|votre|\bvos\b/gi), name).toBeNull();
    }
    expect(copied.snippet).toContain('// its state: 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received');
    expect(copied['update-order.php']).toContain('// 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received');
  });
});

describe('the code examples page', () => {
  it("fills in the site's public key and this Worker's origin, never a private key, and lists the custom field ids", async () => {
    const site = await newSite();
    await put(site, '/api/settings', { custom_fields: [{ id: 327, name: 'Loyalty <b>tier</b>' }] });
    const client = await loggedIn(site, new Client('https://track.shop.example'));
    const html = await (await client.get('/dashboard/code')).text();
    expect(html).toContain(`&lt;script async src=&quot;https://track.shop.example/sdk.js&quot; data-key=&quot;${site.publicKey}&quot;&gt;&lt;/script&gt;`);
    expect(html).toContain(`createTracker({ key: &#39;${site.publicKey}&#39;, endpoint: &#39;https://track.shop.example&#39; })`);
    expect(html).toContain('$shopbeacon_url = &quot;https://track.shop.example&quot;;');
    expect(html).toContain('YOUR_PRIVATE_KEY');
    expect(html).not.toContain(site.privateKey);
    expect(html).toContain('<td>327</td><td>Loyalty &lt;b&gt;tier&lt;/b&gt;</td>');
    expect(html.match(/data-copy="code-(script|npm|php)"/g)).toHaveLength(3);
  });
});
