// The sbt visitor cookie. Set from the page (first party) on the widest domain the browser
// accepts, so www.shop.example and checkout.shop.example share one visitor.
import { LIMITS, SBT_PATTERN } from '@shopbeacon/protocol';
import { get, put } from './cookie-jar';
import { randomId } from './id';

/**
 * sbt if already set (by us on an earlier page, or by the Worker) and of the "cookie" kind
 * (SBT_PATTERN is anchored: its match is the whole value), else undefined.
 */
export const readSbt = () => get('sbt')?.match(SBT_PATTERN)?.[0];

/**
 * The widest domain that takes a cookie: for a.b.shop.co.uk the browser refuses co.uk (a
 * public suffix) and accepts shop.co.uk. Browsers carry the public suffix list; asking them
 * with a probe cookie costs a few cookie writes, where the list would cost ~50 KB. A single
 * label (com, localhost) never takes one: undefined then, a host-only cookie.
 */
export function widestDomain(host: string): string | undefined {
  const probe = randomId(); // random, so a probe left over from another page cannot answer for us
  const labels = host.split('.');
  for (let i = labels.length - 2; i >= 0; i--) {
    const domain = labels.slice(i).join('.');
    put('sbt_probe', probe, domain);
    if (get('sbt_probe') == probe) {
      put('sbt_probe', '', domain, -1);
      return domain;
    }
  }
}

/**
 * Writes sbt for LIMITS.sbtDays (395, under Chrome's 400-day cap), when it is not there yet: its
 * 13 months run from then, new visits do not extend them (the CNIL's rule for audience
 * cookies). A host-only sbt goes first: it would shadow ours when read.
 */
export const writeSbt = (id: string) => {
  put('sbt', '', '', -1);
  put('sbt', id, widestDomain(location.hostname), LIMITS.sbtDays);
};

/** Removes sbt, host-only and on the widest domain: the visitor refused what it is for. */
export const dropSbt = () => {
  put('sbt', '', '', -1);
  put('sbt', '', widestDomain(location.hostname), -1);
};
