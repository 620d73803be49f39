export * from './fields';
export { checkFields, checkKind, checkUpdate, isPlainObject, type Checked, type FieldError, type UpdateInput } from './validate';
export { COUNTRIES } from './countries';
export * from './events';
