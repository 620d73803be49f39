export * from './fields';
export { type Checked, type CheckedEvent, checkEvent, checkFields, checkKind, checkUpdate, type FieldError, isPlainObject, missingFields, type UpdateInput } from './validate';
export { COUNTRIES } from './countries';
export * from './events';
