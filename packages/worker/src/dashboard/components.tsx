// Pieces shared by the dashboard's pages and the share page.
import type { Child } from 'hono/jsx';
import { scriptTag, npmImport, phpUpdateOrder } from './snippets';
import type { Column, Table } from './tables';

/** The hidden per-session token every state-changing form carries (forms.ts checks it). */
export const CsrfInput = ({ token }: { token: string }) => <input type="hidden" name="_csrf" value={token} />;

/** A field's errors, next to it; the input points at it with aria-describedby. */
export function FieldErrors({ id, errors }: { id: string; errors?: string[] }) {
  if (!errors?.length) return null;
  return (
    <p class="field-error" id={`err-${id}`}>
      {errors.join('; ')}
    </p>
  );
}

export type Errors = Record<string, string[]>;

/** aria attributes of an input that has errors (FieldErrors shows them). */
export const invalid = (errors: Errors, id: string) => (errors[id] ? { 'aria-invalid': 'true', 'aria-describedby': `err-${id}` } : {});

/** A table's header row; `action` labels (for screen readers) a last column of buttons. */
export const HeadRow = ({ columns, action }: { columns: Column[]; action?: string }) => (
  <tr>
    {columns.map((c) => (
      <th scope="col">{c.label}</th>
    ))}
    {action ? (
      <th scope="col">
        <span class="sr-only">{action}</span>
      </th>
    ) : null}
  </tr>
);

/** A row's cells, each labelled by its column (the phone layout shows the label); badge columns carry data-v. */
export const TextCells = ({ columns, cells }: { columns: Column[]; cells: string[] }) => (
  <>
    {cells.map((text, i) => (
      <td data-label={columns[i].label} class={`c-${columns[i].key}`} data-v={columns[i].badge ? text : undefined}>
        {text}
      </td>
    ))}
  </>
);

/** A form of one button that changes something (with the session's CSRF token). */
export const PostButton = ({ action, csrf, label, danger }: { action: string; csrf: string; label: string; danger?: boolean }) => (
  <form method="post" action={action}>
    <CsrfInput token={csrf} />
    <button type="submit" class={danger ? 'danger' : undefined}>
      {label}
    </button>
  </form>
);

/** A table of text rows, each ending with a cell of buttons and links (`action` names that column for screen readers). */
export function ActionTable<T>(p: { id: string; columns: Column[]; rows: T[]; cells: (row: T) => string[]; action: string; actions: (row: T) => Child }) {
  return (
    <div class="table-box">
      <table class="data" id={p.id}>
        <thead>
          <HeadRow columns={p.columns} action={p.action} />
        </thead>
        <tbody>
          {p.rows.map((row) => (
            <tr>
              <TextCells columns={p.columns} cells={p.cells(row)} />
              <td data-label="" class="c-actions">
                <div class="actions">{p.actions(row)}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One of the verify views. `live` is the JSON the script polls every few seconds to replace the
 * rows; without JavaScript the table is as the server rendered it.
 */
export function LiveTable(props: { id: string; table: Table; live: string; empty: string; filter?: string }) {
  const { columns, rows } = props.table;
  return (
    <div class="view" data-view={props.id}>
      <p class="live-status" data-live-status aria-live="polite">
        {`${rows.length} shown`}
      </p>
      <div class="table-box">
        <table class="data" id={props.id} data-live={props.live} data-filter={props.filter}>
          <thead>
            <HeadRow columns={columns} />
          </thead>
          <tbody>
            {rows.map((cells) => (
              <tr>
                <TextCells columns={columns} cells={cells} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="empty" data-empty hidden={rows.length > 0}>
        {props.empty}
      </p>
    </div>
  );
}

/** The order filter: a plain GET form (works without JavaScript); the script applies it as you type. */
export const OrderFilter = ({ q, table, store }: { q: string; table: string; store?: string }) => (
  <form method="get" class="filter" role="search">
    {store ? <input type="hidden" name="store" value={store} /> : null}
    <label for={`q-${table}`}>Filter by order id or email</label>
    <div class="row">
      <input type="search" id={`q-${table}`} name="q" value={q} data-filter-for={table} autocomplete="off" />
      <button type="submit">Filter</button>
    </div>
  </form>
);

/** A site's stores, one at a time or all (a plain GET form: ?store=fr). */
export const StoreFilter = ({ stores, store, q }: { stores: { id: string; name: string; currency: string }[]; store?: string; q?: string }) => (
  <form method="get" class="filter">
    {q ? <input type="hidden" name="q" value={q} /> : null}
    <label for="store">Store</label>
    <div class="row">
      <select id="store" name="store">
        <option value="" selected={!store}>
          All stores
        </option>
        {stores.map((st) => (
          <option value={st.id} selected={st.id === store}>{`${st.name} (${st.id}, ${st.currency})`}</option>
        ))}
      </select>
      <button type="submit">Show</button>
    </div>
  </form>
);

/** A code block with a copy button (the script enables it; without it the text can be selected). */
export const CodeBlock = ({ id, title, code, children }: { id: string; title: string; code: string; children?: Child }) => (
  <section class="code">
    <div class="code-head">
      <h3>{title}</h3>
      <button type="button" class="copy" data-copy={id} hidden>
        Copy
      </button>
    </div>
    {children}
    <pre id={id}>
      <code>{code}</code>
    </pre>
  </section>
);

/** Seed 000's "Exemples de codes": JavaScript (tag and npm), PHP, and the custom field ids. */
export function CodeExamples(props: { origin: string; publicKey: string; customFields: { id: number; name: string }[] }) {
  const { origin, publicKey } = props;
  return (
    <div class="examples">
      <CodeBlock id="code-script" title="Script tag" code={scriptTag(origin, publicKey)}>
        <p>
          Paste in the theme's &lt;head&gt;, on every page. While you write the calls, load <code>sdk.debug.js</code> in place of{' '}
          <code>sdk.js</code>: the console then names every bad value before anything is sent.
        </p>
      </CodeBlock>
      <CodeBlock id="code-npm" title="npm import" code={npmImport(origin, publicKey)}>
        <p>
          For a single-page storefront: <code>npm install shopbeacon</code>.
        </p>
      </CodeBlock>
      <CodeBlock id="code-php" title="PHP: updateOrder from your server" code={phpUpdateOrder(origin, publicKey)}>
        <p>Call it when an order is created or changes state. Replace YOUR_PRIVATE_KEY; never put the private key in a page.</p>
      </CodeBlock>
      <section>
        <h3>Custom fields</h3>
        {props.customFields.length ? (
          <table class="plain" id="custom-field-ids">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Name</th>
              </tr>
            </thead>
            <tbody>
              {props.customFields.map((f) => (
                <tr>
                  <td>{String(f.id)}</td>
                  <td>{f.name}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>No custom fields declared yet: values for any id are taken (data[custom_fields][ID]).</p>
        )}
      </section>
    </div>
  );
}

export const Notice = ({ kind, children }: { kind: 'ok' | 'error' | 'info'; children?: Child }) => (
  <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);
