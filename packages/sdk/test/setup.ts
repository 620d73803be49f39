// After every test: real timers again (openPage fakes them), and no stubbed or spied global left
// for the next test.
import { afterEach, vi } from 'vitest';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
