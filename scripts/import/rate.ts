// --rate N: a token bucket over rows sent. It holds at most one batch of tokens, so over any
// window of t seconds at most N × t rows plus one batch go out, however many batches are in
// flight; a batch larger than what the bucket holds waits for the tokens it lacks.
import { setTimeout as sleep } from 'node:timers/promises';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = this.now();
  }

  /** Milliseconds to wait before `n` rows may go; the tokens are taken now (callers queue in order). */
  reserve(n: number): number {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.perSecond) * 1000;
  }

  async take(n: number, signal?: AbortSignal): Promise<void> {
    const wait = this.reserve(n);
    if (wait > 0) await sleep(wait, undefined, { signal });
  }
}
