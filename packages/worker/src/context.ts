import type { Context } from 'hono';

/** The invocation's context, to finish work after answering (absent when called without one). */
export function executionCtx(c: Context): Pick<ExecutionContext, "waitUntil"> | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
