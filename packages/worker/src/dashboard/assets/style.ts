// The dashboard's stylesheet, served as /dashboard/assets/dashboard.css (the CSP allows no
// inline style). Mobile first: at 375 px each table row becomes a stacked card whose cells are
// labelled from data-label, and nothing is wider than the screen.
export const DASHBOARD_CSS = `
:root { --ink: #1c2430; --muted: #5b6675; --line: #dfe3e8; --bg: #f6f7f9; --card: #fff; --accent: #2255cc; --ok: #157347; --bad: #b42318; --warn: #9a6700; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem 1rem; padding: .6rem 1rem; background: #172033; color: #fff; }
.top .brand { font-weight: 700; letter-spacing: .02em; }
.top .site { margin: 0; color: #c9d3e3; overflow-wrap: anywhere; }
.top nav { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .9rem; flex-basis: 100%; }
.top nav a { color: #e6ecf5; text-decoration: none; padding: .2rem 0; border-bottom: 2px solid transparent; }
.top nav a[aria-current=page] { border-bottom-color: #8fb0ff; color: #fff; }
.top .logout { margin: 0 0 0 auto; }
.top .logout button { background: transparent; border: 1px solid #5c6b85; color: #e6ecf5; padding: .2rem .6rem; }
main { max-width: 1280px; margin: 0 auto; padding: 1rem; }
.intro { color: var(--muted); max-width: 60rem; margin-top: 0; }
.hint { color: var(--muted); font-size: .9em; margin: .25rem 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1rem 0; }
.card > h2:first-of-type { margin-top: 0; }
.login { max-width: 26rem; display: grid; gap: .4rem; }
label { font-weight: 600; }
label.check { font-weight: normal; display: block; margin: .25rem 0; }
input, select, textarea { font: inherit; width: 100%; max-width: 36rem; padding: .45rem .55rem; border: 1px solid #b8c0cc; border-radius: 6px; background: #fff; color: inherit; }
input[type=checkbox], input[type=radio] { width: auto; margin-right: .35rem; }
textarea { font-family: ui-monospace, monospace; }
[aria-invalid=true] { border-color: var(--bad); outline: 1px solid var(--bad); }
fieldset { border: 0; padding: 0; margin: 0 0 .75rem; min-width: 0; }
legend { font-weight: 600; padding: 0; }
.field { margin: 0 0 .75rem; }
/* A field's label above its input, whatever the label's length. */
.field > label:not(.check) { display: block; margin-bottom: .15rem; }
.field-error { color: var(--bad); margin: .25rem 0 0; font-size: .9em; }
.optin { display: grid; gap: 0 1rem; grid-template-columns: 1fr; }
.cf-rows { display: grid; gap: .25rem; }
.cf-row { display: grid; grid-template-columns: 7rem 1fr; gap: 0 .75rem; }
.cf-row .field-error { grid-column: 1 / -1; }
button, .button { font: inherit; display: inline-block; padding: .45rem .9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.danger, .button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
.notice { border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; border: 1px solid var(--line); background: #fff; overflow-wrap: anywhere; }
.notice.ok { border-color: #9fd4b6; background: #effaf3; }
.notice.error { border-color: #f1a9a0; background: #fff3f1; color: var(--bad); }
.filter { margin: .75rem 0; }
.filter .row { display: flex; gap: .5rem; max-width: 36rem; }
.live-status { color: var(--muted); font-size: .85em; margin: .5rem 0; }
.table-box { overflow-x: auto; max-width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
table.data, table.plain { border-collapse: collapse; width: 100%; }
table.data th, table.data td, table.plain th, table.plain td { text-align: left; vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid var(--line); }
table.data th { background: #eef1f5; font-size: .85em; white-space: nowrap; }
/* anywhere, not break-word: only it lets a long id or address shrink a column (min-content), so a table fits its box. */
table.data td { white-space: pre-wrap; overflow-wrap: anywhere; }
table.data td.c-data, table.data td.c-excerpt, table.data td.c-reasons { font: 12px/1.4 ui-monospace, monospace; min-width: 16rem; max-width: 36rem; overflow-wrap: anywhere; }
td.c-id, td.c-sbt { font-family: ui-monospace, monospace; }
/* Endpoint URLs, errors and trigger identifiers can be long words: they wrap anywhere rather than widen the table. */
table.data td.c-url, table.data td.c-error, table.data td.c-trigger { overflow-wrap: anywhere; }
table.data td.c-url { min-width: 12rem; }
table.data td.c-trigger { min-width: 15rem; font: 13px/1.45 ui-monospace, monospace; }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem .75rem; }
.actions form { margin: 0; }
.actions button, .actions .button { white-space: nowrap; }
table.data td.c-actions .actions { flex-wrap: nowrap; }
td.c-amount { text-align: right; font-variant-numeric: tabular-nums; }
table.data td[data-v], table.data td.c-route { white-space: nowrap; }
/* Times are two lines (date, then time) and never wrap otherwise. */
table.data td.c-date, table.data td.c-received, table.data td.c-updated, table.data td.c-time { white-space: pre; }
td[data-v=yes], td[data-v=paid], td[data-v=sent], td[data-v=received], td[data-v=delivered] { color: var(--ok); font-weight: 600; }
td[data-v=failed] { color: var(--bad); font-weight: 600; }
td[data-v=pending] { color: var(--warn); font-weight: 600; }
td[data-v=no], td[data-v=cancelled] { color: var(--muted); }
td.c-code { color: var(--bad); font-weight: 600; }
.empty { color: var(--muted); }
.code { margin: 1rem 0; }
.code-head { display: flex; align-items: center; justify-content: space-between; gap: 1rem; }
.code-head button { padding: .2rem .7rem; white-space: nowrap; flex-shrink: 0; }
/* Shown-once values (a share URL, a new private key, a webhook secret): wrapped, so all of it is in view to copy. */
#share-url, #new-private-key, #webhook-secret { white-space: pre-wrap; overflow-wrap: anywhere; }
pre { background: #101827; color: #e6ecf5; padding: .75rem; border-radius: 8px; overflow-x: auto; max-width: 100%; margin: .4rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.chart { margin: .5rem 0 1rem; max-width: 48rem; }
.chart svg { width: 100%; height: auto; display: block; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .4rem .5rem 0; box-sizing: border-box; }
.chart rect { fill: #3b6fd8; } .chart rect.now { fill: #1d8a4a; } .chart .axis { stroke: var(--line); }
.chart .tick { font: 9px system-ui, sans-serif; fill: #5b6678; }
.chart figcaption { font-size: .85em; color: #5b6678; margin-top: .25rem; }
p code, li code, label code { background: #eef1f5; padding: .05rem .3rem; border-radius: 4px; overflow-wrap: anywhere; }
.toc { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: .5rem 0 1rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

@media (min-width: 760px) {
  .top nav { flex-basis: auto; margin-left: auto; }
  .optin { grid-template-columns: 16rem 1fr; }
  .cf-row { grid-template-columns: 10rem 24rem; }
}

/* Phones: each row a card, each cell labelled by its column. */
@media (max-width: 759px) {
  main { padding: .75rem; }
  .table-box { border: 0; background: transparent; overflow: visible; }
  table.data, table.data tbody, table.data tr, table.data td { display: block; width: 100%; }
  table.data thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.data tr { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 0 0 .6rem; padding: .35rem .6rem; }
  table.data td { border: 0; padding: .2rem 0; display: grid; grid-template-columns: 6.5rem minmax(0, 1fr); gap: .5rem; min-width: 0; max-width: none; }
  table.data td::before { content: attr(data-label); font: 600 12px/1.6 system-ui, sans-serif; color: var(--muted); }
  td.c-amount { text-align: left; }
  table.data td[data-v], table.data td.c-route, table.data td.c-date, table.data td.c-received, table.data td.c-updated, table.data td.c-time { white-space: pre-wrap; }
  table.data td.c-data, table.data td.c-excerpt, table.data td.c-reasons, table.data td.c-url, table.data td.c-trigger { min-width: 0; max-width: none; }
  table.data td.c-actions .actions { flex-wrap: wrap; }
  table.data td > * { min-width: 0; }
}
`;
