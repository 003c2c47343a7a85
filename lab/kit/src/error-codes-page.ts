import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ErrorCodeEntry, LAB_ERROR_CODES } from './error-codes.ts';

/**
 * Renders lab/kit/ERRORS.md from the error-code table, so the page cannot drift from the code:
 * `node lab/kit/src/error-codes-page.ts` rewrites it, and error-codes.test.ts compares it.
 */

/** The generated page, beside the package's README. */
export const ERRORS_PAGE_PATH = fileURLToPath(new URL('../ERRORS.md', import.meta.url));

const SECTIONS = [
  {
    title: 'Harness (`LAB_*`)',
    intro: 'Thrown by the test harness itself: process control, tools, network namespaces, the lab services, scenarios.',
    holds: (code: string) => code.startsWith('LAB_'),
  },
  {
    title: 'Staging stack (`DEPLOY_*`)',
    intro:
      "The AWS staging replica's program (deploy/): its configuration, the build it uploads, its instances' start-up scripts.",
    holds: (code: string) => code.startsWith('DEPLOY_'),
  },
  {
    title: 'Reference gateway (`GATEWAY_*`)',
    intro: 'Why the reference gateway (lab/gateway) refuses to start.',
    holds: (code: string) => code.startsWith('GATEWAY_'),
  },
  {
    title: 'Reference desktop app (lowercase)',
    intro:
      "The desktop simulator's own refusals (lab/desktop-sim), in the product's snake_case. The harness sees them " +
      'inside `LAB_DESKTOP_COMMAND_FAILED`; serve mode answers them as `{"ok":false,"error":{"code":…}}`.',
    holds: (code: string) => /^[a-z][a-z0-9_]*$/.test(code),
  },
];

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function row(code: string, entry: ErrorCodeEntry): string {
  return `| \`${code}\` | ${cell(entry.from.join(', '))} | ${cell(entry.meaning)} | ${cell(entry.action)} |`;
}

export function renderErrorCodesPage(): string {
  const entries = Object.entries(LAB_ERROR_CODES) as Array<[string, ErrorCodeEntry]>;
  const homeless = entries.filter(([code]) => !SECTIONS.some((s) => s.holds(code))).map(([code]) => code);
  if (homeless.length > 0)
    throw new Error(`no section of ERRORS.md holds ${homeless.join(', ')}: add one in error-codes-page.ts`);
  const lines = [
    '# Lab error codes',
    '',
    '<!-- Generated from lab/kit/src/error-codes.ts by `node lab/kit/src/error-codes-page.ts`. Edit the table there, not this page. -->',
    '',
    'Every error the lab throws on purpose is a `LabError` ([src/errors.ts](src/errors.ts)) or a subclass: a stable `code`, a message that says what failed and where, and a hint that says what to do. Branch on the code, never on the message.',
    '',
    'The table in [src/error-codes.ts](src/error-codes.ts) is the one source of these codes: `LabError` accepts no other, and [src/error-codes.test.ts](src/error-codes.test.ts) reads the source tree and fails when a code is thrown that is not in the table, when an entry is thrown nowhere (or by other packages than it says), or when this page is stale. To add a code: add its entry, throw it, run `node lab/kit/src/error-codes-page.ts`.',
    '',
    "Not here: the codes MultiClaw Cloud answers on the wire (`bad_request`, `unauthenticated`, `rate_limited`, …). They are the product's contract, catalogued as `ERROR_CODES` in [lab/protocol/src/errors.ts](../protocol/src/errors.ts); `LAB_CLOUD_API` and `LAB_DESKTOP_COMMAND_FAILED` quote them in their messages.",
  ];
  for (const section of SECTIONS) {
    lines.push(
      '',
      `## ${section.title}`,
      '',
      section.intro,
      '',
      '| Code | Source | Meaning | What to do |',
      '| --- | --- | --- | --- |',
    );
    for (const [code, entry] of entries.filter(([c]) => section.holds(c)).sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(row(code, entry));
    }
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) {
  writeFileSync(ERRORS_PAGE_PATH, renderErrorCodesPage());
  console.log(`wrote ${ERRORS_PAGE_PATH}`);
}
