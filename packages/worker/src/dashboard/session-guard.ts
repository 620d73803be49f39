import { createMiddleware } from 'hono/factory';
import type { DashEnv } from './env';
import type { Nav } from './layout';
import { currentSession } from './session';
import type { Context } from 'hono';

/** Pages without a live session go to the login form; JSON gets 401 (the script then says so). */
export const requireSession = (kind: 'page' | 'json') =>
  createMiddleware<DashEnv>(async (c, next) => {
    const session = await currentSession(c);
    if (!session) return kind === 'json' ? c.json({ error: 'Your session has ended: log in again.' }, 401) : c.redirect('/dashboard', 303);
    c.set('session', session);
    await next();
  });

export const navFor = (c: Context<DashEnv>, active: string): Nav => {
  const s = c.get('session');
  return { kind: 'dashboard', active, siteName: s.siteName, csrf: s.csrf };
};
