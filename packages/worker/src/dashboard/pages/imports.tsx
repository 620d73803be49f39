// The site's historical imports (npm run import), as the Worker took them: rows taken and
// rejected, batches, running, stalled or done. The table refreshes itself while the page is open.
import { RECENT_IMPORTS_LIMIT, type recentImports } from '../../import';
import { CodeBlock, LiveTable } from '../components';
import { Layout, type Nav } from '../layout';
import { type Column, stamp, type Table } from '../tables';

type Import = Awaited<ReturnType<typeof recentImports>>[number];

export const IMPORT_COLUMNS: Column[] = [
  { key: 'file', label: 'File' },
  { key: 'kind', label: 'Kind', badge: true },
  { key: 'status', label: 'Status', badge: true },
  { key: 'taken', label: 'Rows taken' },
  { key: 'rejected', label: 'Rejected' },
  { key: 'batches', label: 'Batches' },
  { key: 'started', label: 'Started' },
  { key: 'last', label: 'Last batch' },
  { key: 'finished', label: 'Finished' },
];

export const importCells = (i: Import): string[] => [
  `${i.file}\n${i.import}`,
  i.kind,
  i.status,
  i.taken.toLocaleString('en-US'),
  i.rejected.toLocaleString('en-US'),
  String(i.batches),
  stamp(i.started_at),
  stamp(i.updated_at),
  i.finished_at ? stamp(i.finished_at) : '',
];

export const importsTable = (imports: Import[]): Table => ({ columns: IMPORT_COLUMNS, rows: imports.map(importCells) });

const INTRO = `The last ${RECENT_IMPORTS_LIMIT} imports of this site's history, newest first, as the Worker took them: each file's rows written and rejected. A running import that sent nothing for 10 minutes shows as stalled: run the same command again with --resume.`;

export const ImportsPage = (p: { nav: Nav; table: Table; origin: string }) => (
  <Layout title="Imports" nav={p.nav}>
    <p class="intro">{INTRO}</p>
    <LiveTable id="imports" table={p.table} live="/dashboard/imports.json" empty="No import yet. Import your customers and orders from before the tracker with the command below." />
    <CodeBlock
      id="import-command"
      title="Import customers and orders (CSV or NDJSON)"
      code={`SHOPBEACON_PRIVATE_KEY=sk_… npm run import -- \\\n  --customers customers.csv --orders orders.csv \\\n  --endpoint ${p.origin} --public-key PUBLIC_KEY`}
    >
      <p class="hint">
        Columns are the API's field names (customer_email, order_idorder, …). Rejected rows go to a .rejects.csv beside each file, to fix and import again; an
        interrupted import goes on with --resume. Imported orders keep their own dates and fire no order trigger.
      </p>
    </CodeBlock>
  </Layout>
);
