// /dashboard: the login form, logging in with the site's keys, and logging out.
import { Hono } from 'hono';
import { siteForKeys } from '../../auth';
import { PUBLIC_KEY } from '../../keys';
import type { DashEnv } from '../env';
import { field, postedForm, readForm } from '../forms';
import { LoginPage } from '../pages/login';
import { page } from '../render';
import { closeSession, currentSession, openSession } from '../session';
import { requireSession } from '../session-guard';
import { clearFailures, countAttempt, loginClient, MAX_FAILURES, WINDOW_MS } from '../throttle';

export const loginRoutes = new Hono<DashEnv>();

// ?public_key=pk_… fills in the public key (it is public): `npm start` prints such a link.
loginRoutes.get('/dashboard', async (c) => {
  if (await currentSession(c)) return c.redirect('/dashboard/orders', 303);
  const publicKey = c.req.query('public_key') ?? '';
  return page(c, <LoginPage publicKey={PUBLIC_KEY.test(publicKey) ? publicKey : ''} />);
});

loginRoutes.post('/dashboard/login', async (c) => {
  const form = await postedForm(c);
  const publicKey = field(form, 'public_key').trim();
  const privateKey = field(form, 'private_key').trim();
  const db = c.env.DB;
  const refused = () => page(c, <LoginPage error="Wrong public or private key." publicKey={publicKey} />, 400);
  // A public key of the wrong shape opens no site: refused before anything is written, so
  // made-up keys cannot fill login_failures (the count is for guesses at a real site's key).
  if (!PUBLIC_KEY.test(publicKey)) return refused();
  const client = loginClient(c.req.header('cf-connecting-ip'), publicKey);
  const { attempt, wait } = await countAttempt(db, client);
  const locked = () => {
    const minutes = Math.ceil(wait / 60_000);
    c.header('Retry-After', String(Math.ceil(wait / 1000)));
    const error = `Too many failed attempts (${MAX_FAILURES} in ${WINDOW_MS / 60_000} minutes) with this public key: try again in ${minutes} minute${minutes > 1 ? 's' : ''}.`;
    return page(c, <LoginPage error={error} publicKey={publicKey} />, 429);
  };
  if (attempt > MAX_FAILURES) return locked();
  const site = await siteForKeys(db, publicKey, privateKey);
  // The failure that fills the window already says so.
  if (!site) return attempt == MAX_FAILURES ? locked() : refused();
  await clearFailures(db, client);
  await openSession(c, site.id);
  return c.redirect('/dashboard/orders', 303);
});

loginRoutes.post('/dashboard/logout', requireSession('page'), async (c) => {
  await readForm(c);
  await closeSession(c, c.get('session'));
  return c.redirect('/dashboard', 303);
});
