export { REPORT_FILES } from './evidence.ts';
export { renderHtml, runPassed, totals } from './html/page.ts';
export { CANARY_TESTCASE, renderJunit } from './junit.ts';
export { type Rerendered, rerenderWithDrivers } from './rerender.ts';
export { type WriteReportOptions, type WrittenReport, writeReport } from './write-report.ts';
