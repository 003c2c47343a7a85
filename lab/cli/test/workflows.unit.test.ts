import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ACTIONLINT } from '../src/tools/catalog.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WORKFLOWS = join(ROOT, '.github', 'workflows');

/** The catalogue's build first (what `lab doctor --install` makes), then one on PATH. */
function findActionlint(): string | undefined {
  const candidates = [ACTIONLINT, ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'actionlint'))];
  return candidates.find((path) => path !== 'actionlint' && existsSync(path));
}

describe('GitHub Actions workflows (.github/workflows)', () => {
  it('pass actionlint with no finding', async () => {
    const actionlint = findActionlint();
    if (!actionlint) {
      throw new Error(
        `actionlint is not installed (looked for ${ACTIONLINT} and on PATH); install it with: sudo pnpm lab doctor --install ` +
          '(or bash scripts/bootstrap.sh), which builds the version pinned in lab/cli/src/tools/catalog.ts',
      );
    }
    const files = readdirSync(WORKFLOWS)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(WORKFLOWS, f));
    expect(files.length).toBeGreaterThan(0);
    // shellcheck and pyflakes checks are off: they would run only where those tools happen to be
    // installed, so the same workflow would pass on one machine and fail on another
    const outcome = await run(actionlint, ['-no-color', '-oneline', '-shellcheck=', '-pyflakes=', ...files], { cwd: ROOT }).then(
      () => ({ code: 0, findings: '' }),
      (err: { code?: number | string; stdout?: string; stderr?: string }) => ({
        code: err.code,
        findings: `${err.stdout ?? ''}${err.stderr ?? ''}`.trim(),
      }),
    );
    expect(outcome).toEqual({ code: 0, findings: '' });
  });
});
