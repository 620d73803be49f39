// Statements of a batch, as plain values (SQL and its bound parameters), and the SQL pieces the
// profile and order upserts share.

/** A statement of the batch: SQL with anonymous ? parameters, in order. */
export interface Stmt {
  sql: string;
  params: unknown[];
}

/**
 * A condition that must hold for the statements to write (SQL with its parameters): the
 * tracker's guard that the event is new, so a retried event changes nothing.
 */
export type Guard = Stmt | undefined;

/** VALUES (…), or the same row selected only when the guard holds. */
export const guardedValues = (values: string, guard: Guard) =>
  guard ? `SELECT ${values} WHERE ${guard.sql}` : `VALUES (${values})`;

/** Tags kept in insertion order: the stored ones minus `del`, then the new ones of `add`. */
export const mergeTagsSql = (column: string) =>
  `(SELECT json_group_array(value) FROM (
     SELECT value FROM json_each(${column}) WHERE value NOT IN (SELECT value FROM json_each(?))
     UNION ALL
     SELECT value FROM json_each(?) WHERE value NOT IN (SELECT value FROM json_each(${column}))))`;
