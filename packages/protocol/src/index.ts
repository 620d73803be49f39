export * from './fields';
export { type Checked, checkFields, checkKind, type FieldError, missingFields } from './check-fields';
export { type CheckedEvent, checkEvent } from './event';
export { isPlainObject } from './kinds';
export { checkUpdate, type UpdateInput } from './update';
export { COUNTRIES } from './countries';
export * from './events';
export { REDACT_PARAMS, REDACTED, redactEmails, redactUrl, urlRedactor } from './redact';
