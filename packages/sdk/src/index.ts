export { createTracker } from './tracker';
export type { Consent, EventData, InputOf, Options, Tracker } from './types';
