// Tracker settings: the form goes through updateSettings (PUT /api/settings' checks), and its
// field errors come back next to the inputs. Key rotation (rotation.ts) asks for the current
// private key, shows the new one once, and says what became of the share links.
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
import { isCurrentPrivateKey, type LinksAfterRotation, linksNotice } from '../rotation';
import { openSession } from '../session';
import { navFor, requireSession } from '../session-guard';
import { errorsByInput, patchFromValues, valuesFromForm, valuesFromSettings } from '../settings-form';
import { activeShareLinks, revokeAllShareLinks } from '../share';
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
    await updateSettings(c.env, { id: s.siteId, publicKey: s.publicKey, db: s.db }, patchFromValues(values), c.env.WEBHOOKS_ALLOW_LOCAL === '1');
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
  const db = c.env.DB;
  const form = await readForm(c);
  if (field(form, 'confirm') !== 'yes') throw new PageError(400, 'Not rotated', 'Tick the box to confirm: the old private key stops working at once.');
  const current = field(form, 'current_private_key').trim();
  if (!current) throw new PageError(400, 'Not rotated', 'Type your current private key to rotate it. Nothing was rotated.');
  const matches = await isCurrentPrivateKey(db, s.siteId, current);
  if (matches === null) throw noSuchSite();
  if (!matches) throw new PageError(400, 'Not rotated', 'Wrong current private key. Nothing was rotated: the key your shop uses still works.');
  const keep = field(form, 'keep_share_links') === 'yes';
  // Every session carries the key_rotated_at it was opened with: all of them end with the
  // rotation, this one included (the merchant who rotated gets a new one below).
  const rotated = await rotatePrivateKey(db, s.publicKey, [
    db.prepare('DELETE FROM dashboard_sessions WHERE site_id = ?').bind(s.siteId),
    ...(keep ? [] : [revokeAllShareLinks(db, s.siteId)]),
  ]);
  if (!rotated) throw noSuchSite();
  const links: LinksAfterRotation = keep
    ? { kept: (await activeShareLinks(db, s.siteId)).length }
    : { revoked: (rotated.alongside[1].results as { was_open: number }[]).filter((r) => r.was_open).length };
  const csrf = await openSession(c, s.siteId);
  const site = await siteOf(db, s.publicKey);
  const nav = { ...navFor(c, 'settings'), csrf };
  return page(c, <SettingsPage nav={nav} csrf={csrf} publicKey={s.publicKey} values={valuesFromSettings(site.settings)} newPrivateKey={rotated.privateKey} linksNotice={linksNotice(links)} />);
});
