// "Did you mean": the hint for an unknown field name, and what it may cost. The names are the
// request's, so a body of one huge name or of thousands of small ones must stay cheap.
import { describe, expect, it } from 'vitest';
import { checkFields, checkUpdate, type Kind } from '../src/index';

const TEXT: Kind = { t: 'text', max: 10 };
const reasons = (input: Record<string, unknown>, specs: Record<string, Kind>) => checkFields(input, specs, 'data').errors.map((e) => e.reason);

/** The full edit distance, as the hint's bounded search must find it. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

describe('checkFields: unknown field names', () => {
  it('hints the known field an unknown name of 64 characters or fewer is at most 2 edits from', () => {
    expect(checkUpdate({ data: { order_ammount: '1.00' } }, 'order').errors[0]).toEqual({
      field: 'data[order_ammount]',
      reason: 'unknown field; did you mean order_amount?',
    });
    const known = 'k'.repeat(65);
    expect(reasons({ ['k'.repeat(64)]: 'x' }, { [known]: TEXT })).toEqual([`unknown field; did you mean ${known}?`]);
  });

  it('says only "unknown field" for a name over 64 characters, however near a known one', () => {
    const known = 'k'.repeat(70);
    expect(reasons({ ['k'.repeat(69) + 'x']: 'x', ['k'.repeat(65)]: 'x' }, { [known]: TEXT })).toEqual(['unknown field', 'unknown field']);
    expect(checkUpdate({ data: { ['x'.repeat(63 * 1024)]: 1 } }, 'order').errors[0]).toEqual({ field: `data[${'x'.repeat(64)}]`, reason: 'unknown field' });
  });

  it('hints the first 10 unknown names of an object, not the rest', () => {
    const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima'.split(' ');
    const specs = Object.fromEntries(words.map((w) => [w, TEXT]));
    expect(reasons(Object.fromEntries(words.map((w) => [`${w}x`, 'x'])), specs)).toEqual([
      ...words.slice(0, 10).map((w) => `unknown field; did you mean ${w}?`),
      'unknown field',
      'unknown field',
    ]);
  });

  it('hints exactly the names at most 2 edits from a known one', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const word = (n: number) => Array.from({ length: n }, () => 'abc'[Math.floor(random() * 3)]).join('');
    for (let n = 0; n < 20_000; n++) {
      const known = word(1 + Math.floor(random() * 12));
      const name = word(Math.floor(random() * 14));
      if (name === known) continue;
      const hinted = reasons({ [name]: 'x' }, { [known]: TEXT })[0] !== 'unknown field';
      expect(hinted, `${name} ~ ${known}`).toBe(distance(name, known) <= 2);
    }
  });
  // What these bounds save in CPU is measured by `npm run bench -- --cpu`, not asserted here: a
  // test never times code.
});
