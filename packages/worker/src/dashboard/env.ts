import type { Env } from '../env';
import type { Session } from './session';

/** The dashboard's bindings (the Worker's, with SESSION_SECRET and DOCS_URL) and its session. */
export type DashEnv = {
  Bindings: Env;
  Variables: { session: Session };
};
