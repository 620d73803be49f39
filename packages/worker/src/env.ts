import type { Settings } from './settings';

export interface Env {
  DB: D1Database;
  /** packages/sdk/dist: the built browser SDK (sdk.js, manifest.json). */
  ASSETS: Fetcher;
}

/** The site whose keys authenticated the request. */
export interface Site {
  id: number;
  publicKey: string;
  settings: Settings;
}

export type AppEnv = {
  Bindings: Env;
  /** site: whose keys opened the request; sent: the body as read, for the rejected-requests log. */
  Variables: { site: Site; sent: string };
};
