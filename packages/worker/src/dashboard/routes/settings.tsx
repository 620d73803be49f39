// Tracker settings: the form goes through updateSettings (PUT /api/settings' checks), and its
// field errors come back next to the inputs. Key rotation shows the new private key once.
import { Hono } from 'hono';
import { ProblemError } from '../../problem';
import { updateSettings } from '../../settings';
import { rotatePrivateKey } from '../../sites';
import { siteOf } from '../data';
import type { DashEnv } from '../env';
import { field, readForm } from '../forms';
import { noSuchSite, PageError } from '../page-error';
import { SettingsPage } from '../pages/settings';
import { page } from '../render';
import { openSession } from '../session';
import { navFor, requireSession } from '../session-guard';
import { errorsByInput, patchFromValues, valuesFromForm, valuesFromSettings } from '../settings-form';
import { forgetSite } from '../../site-cache';


export const settingsRoutes = new Hono<DashEnv>();

settingsRoutes.get('/dashboard/settings', requireSession('page'), async (c) => {
  const s = c.get('session');
  // Read fresh, not from the isolate cache: the form posts every setting back, and must not
  // carry back a value the API changed a moment ago.
  forgetSite(s.publicKey);
  const site = await siteOf(c.env.DB, s.publicKey);
  return page(c, <SettingsPage nav={navFor(c, 'settings')} csrf={s.csrf} publicKey={s.publicKey} values={valuesFromSettings(site.settings)} saved={c.req.query('saved') === '1'} />);
});

settingsRoutes.post('/dashboard/settings', requireSession('page'), async (c) => {
  const s = c.get('session');
  const values = valuesFromForm(await readForm(c));
  try {
    await updateSettings(c.env.DB, { id: s.siteId, publicKey: s.publicKey }, patchFromValues(values));
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
    if (e.problem.status === 404) throw noSuchSite();
    const errors = errorsByInput(e.problem.fields ?? [], values);
    return page(c, <SettingsPage nav={navFor(c, 'settings')} csrf={s.csrf} publicKey={s.publicKey} values={values} errors={errors} />, 400);
  }
  return c.redirect('/dashboard/settings?saved=1', 303);
});

settingsRoutes.post('/dashboard/rotate', requireSession('page'), async (c) => {
  const s = c.get('session');
  const form = await readForm(c);
  if (field(form, 'confirm') !== 'yes') throw new PageError(400, 'Not rotated', 'Tick the box to confirm: the old private key stops working at once.');
  const rotated = await rotatePrivateKey(c.env.DB, s.publicKey);
  if (!rotated) throw noSuchSite();
  // Every session carries the key_rotated_at it was opened with: all of them just ended, this
  // one included. The merchant who rotated gets a new one.
  await c.env.DB.prepare('DELETE FROM dashboard_sessions WHERE site_id = ?').bind(s.siteId).run();
  const csrf = await openSession(c, s.siteId);
  const site = await siteOf(c.env.DB, s.publicKey);
  const nav = { ...navFor(c, 'settings'), csrf };
  return page(c, <SettingsPage nav={nav} csrf={csrf} publicKey={s.publicKey} values={valuesFromSettings(site.settings)} newPrivateKey={rotated.privateKey} />);
});
