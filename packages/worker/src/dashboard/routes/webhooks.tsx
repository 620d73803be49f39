// Webhook endpoints from the dashboard, through the same functions as /api/webhooks
// (automations/webhooks.ts): the add form's body goes through checkWebhook, whose field errors
// come back next to the inputs. Each form is a POST that redirects (POST-redirect-GET), and a
// new or rotated secret rides to the page in a flash cookie (webhook-flash.ts), shown once.
import { siteDb } from '../../tenancy';
import { type Context, Hono } from 'hono';
import { localAllowed } from '../../automations/targets';
import { checkWebhook, createWebhook, deleteWebhook, listWebhooks, rotateWebhookSecret } from '../../automations/webhooks';
import { ProblemError } from '../../problem';
import type { DashEnv } from '../env';
import { readForm } from '../forms';
import { asPage, PageError } from '../page-error';
import { RemoveWebhookPage, WebhooksPage, type WebhooksPageProps } from '../pages/webhooks';
import { page } from '../render';
import { navFor, requireSession } from '../session-guard';
import { webhookErrors, webhookValues } from '../webhook-form';
import { flashIssuedSecret, takeIssuedSecret } from '../webhook-flash';

export const webhookRoutes = new Hono<DashEnv>();

const ID = ':id{[0-9]{1,15}}';
const noSuchEndpoint = () => new PageError(404, 'No such endpoint', 'This site has no such webhook endpoint: it may have been removed already.');

/** The page with the site's endpoints, and whatever this answer adds to it. */
async function webhooksPage(c: Context<DashEnv>, extra: Partial<WebhooksPageProps> = {}, status: 200 | 400 = 200) {
  const s = c.get('session');
  const hooks = await listWebhooks(siteDb(c.env, s), s.siteId);
  return page(c, <WebhooksPage nav={navFor(c, 'webhooks')} csrf={s.csrf} hooks={hooks} {...extra} />, status);
}

webhookRoutes.get('/dashboard/webhooks', requireSession('page'), async (c) => {
  const issued = await takeIssuedSecret(c, c.get('session').siteId);
  return webhooksPage(c, { issued: issued ?? undefined, removed: c.req.query('removed') === '1' });
});

webhookRoutes.post('/dashboard/webhooks', requireSession('page'), async (c) => {
  const values = webhookValues(await readForm(c));
  let hook;
  try {
    hook = await createWebhook(siteDb(c.env, c.get('session')), c.get('session').siteId, checkWebhook(values, localAllowed(c.env)));
  } catch (e) {
    if (!(e instanceof ProblemError) || e.problem.status !== 400) throw e;
    return webhooksPage(c, { values, errors: webhookErrors(e.problem.fields ?? []) }, 400);
  }
  await flashIssuedSecret(c, hook);
  return c.redirect('/dashboard/webhooks', 303);
});

webhookRoutes.post(`/dashboard/webhooks/${ID}/rotate`, requireSession('page'), async (c) => {
  await readForm(c);
  const hook = await asPage(rotateWebhookSecret(siteDb(c.env, c.get('session')), c.get('session').siteId, c.req.param('id')), noSuchEndpoint());
  await flashIssuedSecret(c, hook);
  return c.redirect('/dashboard/webhooks', 303);
});

// A removal asks first: the endpoint's delivery history goes with it.
webhookRoutes.get(`/dashboard/webhooks/${ID}/remove`, requireSession('page'), async (c) => {
  const s = c.get('session');
  const hook = (await listWebhooks(siteDb(c.env, s), s.siteId)).find((w) => String(w.id) === c.req.param('id'));
  if (!hook) throw noSuchEndpoint();
  return page(c, <RemoveWebhookPage nav={navFor(c, 'webhooks')} csrf={s.csrf} hook={hook} />);
});

webhookRoutes.post(`/dashboard/webhooks/${ID}/remove`, requireSession('page'), async (c) => {
  await readForm(c);
  await asPage(deleteWebhook(siteDb(c.env, c.get('session')), c.get('session').siteId, c.req.param('id')), noSuchEndpoint());
  return c.redirect('/dashboard/webhooks?removed=1', 303);
});
