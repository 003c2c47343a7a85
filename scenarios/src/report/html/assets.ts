import { createHash } from 'node:crypto';

/** A Content-Security-Policy source that allows exactly this inline style or script. */
export const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's only style sheet and script, inlined. Both are allowed by hash in the page's
 * Content-Security-Policy, so nothing else can run or load even if some text slipped through
 * unescaped.
 */
export const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #fff; }
body { margin: 0 auto; max-width: 1400px; padding: 1rem 1.5rem 4rem; line-height: 1.4; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
h2 { border-bottom: 2px solid #d0d7de; padding-bottom: .25rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.muted { color: #57606a; }
.hint { color: #57606a; margin-top: 0; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .25rem; font-size: .8rem; font-weight: 700; color: #fff; white-space: nowrap; }
.st-passed, .st-verified { background: #1a7f37; }
.st-failed { background: #cf222e; }
.st-skipped, .st-untested { background: #9a6700; }
.st-untestable { background: #57606a; }
.st-contradiction { background: #8250df; }
.st-killed { background: #1a7f37; }
.st-survived, .st-errored, .st-no-scenario, .st-none { background: #cf222e; }
.verdict { font-size: 1.1rem; font-weight: 700; padding: .5rem .75rem; border-radius: .25rem; color: #fff; display: inline-block; }
.verdict.pass { background: #1a7f37; }
.verdict.fail { background: #cf222e; }
.driver { font-size: 1.1rem; font-weight: 700; padding: .5rem .75rem; border: 2px solid #1b1f24; border-radius: .25rem; margin-left: .5rem; display: inline-block; }
.driver-col .run { font-weight: 400; font-size: .8rem; color: #57606a; }
.driver-status .reason { color: #57606a; font-size: .8rem; margin-top: .2rem; }
.driver-status .reason[title] { cursor: help; text-decoration: underline dotted; }
tr.differs td.id { border-left: 4px solid #9a6700; }
.differs-note { color: #9a6700; font-family: system-ui, sans-serif; font-size: .75rem; font-weight: 600; }
.totals { display: flex; gap: 2rem; flex-wrap: wrap; margin: .5rem 0; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
.meta dt, dl dt { font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; }
dd { margin: 0; }
.filters { display: flex; gap: 1.5rem; align-items: center; margin: .5rem 0; }
.sentence .reason { color: #57606a; font-style: italic; margin-top: .25rem; }
.id, .path, .fields, .time, .stack { font-family: ui-monospace, monospace; }
.fields { font-size: .8rem; word-break: break-all; }
.time { white-space: nowrap; }
.src-scenario { font-weight: 700; }
.scenario { border: 1px solid #d0d7de; border-radius: .4rem; padding: .25rem 1rem 1rem; margin: 1rem 0; }
.scenario[data-status="failed"] { border-color: #cf222e; border-width: 2px; }
.error { background: #ffebe9; border: 1px solid #cf222e; padding: .5rem .75rem; border-radius: .25rem; }
.stack { white-space: pre-wrap; font-size: .8rem; margin: .5rem 0 0; }
.skip, .warn { color: #9a6700; }
.ok { color: #1a7f37; font-weight: 600; }
.alarm { background: #cf222e; color: #fff; padding: .75rem 1rem; border-radius: .25rem; font-size: 1.1rem; }
.alarm table { background: #fff; color: #1b1f24; }
.warnings { background: #fff8c5; border: 1px solid #9a6700; padding: .5rem .75rem; border-radius: .25rem; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
summary { cursor: pointer; font-weight: 600; margin-top: .5rem; }
tr[hidden] { display: none; }
`;

export const SCRIPT = `
(function () {
  var statusSelect = document.getElementById('filter-status');
  var pageSelect = document.getElementById('filter-page');
  var count = document.getElementById('filter-count');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.claim'));
  function apply() {
    var status = statusSelect.value, page = pageSelect.value, shown = 0;
    rows.forEach(function (row) {
      var visible = (status === 'all' || row.dataset.status === status) && (page === 'all' || row.dataset.page === page);
      row.hidden = !visible;
      if (visible) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' claims shown';
  }
  statusSelect.addEventListener('change', apply);
  pageSelect.addEventListener('change', apply);
  apply();
})();
`;
