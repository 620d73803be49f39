// The merchant dashboard (/dashboard/*) and share links (/share/*), mounted on the Worker with
// app.route('/', dashboardRoutes). Server-rendered with Hono's JSX (escaped by default); pages
// work without JavaScript, and one same-origin script makes them live.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { assetRoutes } from './assets';
import type { DashEnv } from './env';
import { PageError } from './page-error';
import { ErrorPage } from './pages/error';
import { page } from './render';
import { codeRoutes } from './routes/code';
import { deliveryRoutes } from './routes/deliveries';
import { importRoutes } from './routes/imports';
import { loginRoutes } from './routes/login';
import { settingsRoutes } from './routes/settings';
import { shareAdminRoutes } from './routes/share-admin';
import { sharedRoutes } from './routes/shared';
import { viewRoutes } from './routes/views';
import { webhookRoutes } from './routes/webhooks';

export const dashboardRoutes = new Hono<DashEnv>();

const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  // Share URLs carry their token: never send them on as a Referer (secureHeaders' default too).
  referrerPolicy: 'no-referrer',
});

for (const path of ['/dashboard', '/dashboard/*', '/share/*']) {
  dashboardRoutes.use(path, headers, async (c, next) => {
    await next();
    // Pages and JSON show a shop's data: never kept by a browser or a proxy (assets set their own).
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
}
// Hono's csrf(): form posts must come from this origin (Origin or Sec-Fetch-Site). Each
// changing form also carries the session's token (forms.ts).
dashboardRoutes.use('/dashboard/*', csrf(), bodyLimit({ maxSize: 64 * 1024, onError: () => { throw new PageError(413, 'Too large', 'This form is larger than 64 KB.'); } }));

dashboardRoutes.route('/', assetRoutes);
dashboardRoutes.route('/', loginRoutes);
dashboardRoutes.route('/', viewRoutes);
dashboardRoutes.route('/', settingsRoutes);
dashboardRoutes.route('/', webhookRoutes);
dashboardRoutes.route('/', deliveryRoutes);
dashboardRoutes.route('/', importRoutes);
dashboardRoutes.route('/', codeRoutes);
dashboardRoutes.route('/', shareAdminRoutes);
dashboardRoutes.route('/', sharedRoutes);

dashboardRoutes.all('/dashboard/*', () => {
  throw new PageError(404, 'Page not found', 'No such page in the dashboard.');
});

dashboardRoutes.onError((err, c) => {
  if (err instanceof PageError) {
    const back = err.status === 404 || err.status === 410 ? undefined : { href: '/dashboard', label: 'Back to the dashboard' };
    return page(c, <ErrorPage title={err.title} message={err.message} back={back} />, err.status as 400);
  }
  if (err instanceof HTTPException && err.status === 403)
    return page(c, <ErrorPage title="Refused" message="This form was sent from another site. Open the dashboard and send it from there." back={{ href: '/dashboard', label: 'Open the dashboard' }} />, 403);
  throw err;
});
