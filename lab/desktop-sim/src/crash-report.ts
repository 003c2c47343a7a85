import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Logger, scrubSecrets } from '@multiclaw-lab/kit';

/** Exit code of a crashed app (EX_SOFTWARE: an internal error). */
export const CRASH_EXIT_CODE = 70;
export const CRASH_REPORTS_DIR = 'crash-reports';

export interface CrashReport {
  crashedAt: string;
  version: string;
  error: { name: string; message: string; stack: string | null };
}

/**
 * Writes a crash report into `<profile>/crash-reports/<time>.json` (folder 0700, file 0600) and
 * returns its path. It stays on the machine: nothing is uploaded (documented: "the crash log
 * stays on your machine"). Synchronous on purpose: it runs while the process is going down.
 * Message and stack go through the logger's scrubber, so a credential in an error text is masked.
 */
export function writeCrashReport(profileDir: string, err: unknown, version: string, now = new Date()): string {
  const error =
    err instanceof Error
      ? { name: err.name, message: scrubSecrets(err.message), stack: err.stack ? scrubSecrets(err.stack) : null }
      : { name: 'NonError', message: scrubSecrets(String(err)), stack: null };
  const report: CrashReport = { crashedAt: now.toISOString(), version, error };
  const dir = join(profileDir, CRASH_REPORTS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${now.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}

/**
 * The app's last resort: an uncaught exception or unhandled rejection writes a local crash
 * report, logs where it is (never its content beyond the scrubbed message) and exits non-zero.
 */
export function installCrashHandler(
  profileDir: string,
  version: string,
  logger: Logger,
  /** only the mutant 'crash-report-uploaded' passes one */
  upload?: (file: string) => Promise<unknown>,
): void {
  const crash = (err: unknown) => {
    let file: string | null = null;
    try {
      file = writeCrashReport(profileDir, err, version);
    } catch (writeErr) {
      logger.error({ event: 'app.crash_report_failed', err: writeErr }, 'could not write the crash report');
    }
    logger.fatal({ event: 'app.crashed', file, err }, 'the app crashed; the crash report stays on this machine');
    if (upload && file)
      void upload(file)
        .catch(() => undefined)
        .finally(() => process.exit(CRASH_EXIT_CODE));
    else process.exit(CRASH_EXIT_CODE);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
