#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createLogger, type Logger, logReady, useSystemTrustStore } from '@multiclaw-lab/kit';
import { createDesktopApp, type DesktopApp } from './app.ts';
import { OPTION_SOURCES, optionsFrom } from './config.ts';
import { installCrashHandler } from './crash-report.ts';
import { errorView } from './error-view.ts';
import { mutant } from './mutant.ts';
import { crashReportBody, listenOnEveryInterface } from './mutant-defects.ts';
import { serveCommands } from './serve.ts';

const USAGE = `usage: desktop-sim <command> [options]

commands:
  sign-in --email E --password P   sign in and keep the bearer in the profile (DESKTOP_EMAIL, DESKTOP_PASSWORD)
  sign-out                         revoke the bearer and delete it from the profile
  status                           signed-in state, user and version
  check-update                     check the CDN, verify and install a newer signed version
  serve                            stay connected; JSON-line commands on stdin, JSON log lines on stdout

options (or environment variables):
${Object.values(OPTION_SOURCES)
  .map(([flag, variable]) => `  --${flag.padEnd(24)} ${variable}`)
  .join('\n')}
`;

const STRING_FLAGS = [...Object.values(OPTION_SOURCES).map(([flag]) => flag), 'email', 'password'];

/** Runs one CLI command; resolves with the process exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])), help: { type: 'boolean' } },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const command = parsed.positionals[0];
  if (parsed.values.help || !command) {
    process.stderr.write(USAGE);
    return command || parsed.values.help ? 0 : 2;
  }
  const flags = parsed.values as Record<string, string>;
  const logger = createLogger({ service: 'desktop-sim' });
  // The desktop app trusts the operating system's store and nothing else (documented: no pinning).
  const trusted = useSystemTrustStore();
  logger.debug({ event: 'trust_store', certificates: trusted }, 'using the system trust store');
  let app: DesktopApp;
  try {
    app = await createDesktopApp({ ...optionsFrom(flags, env), logger });
  } catch (err) {
    logger.error({ event: 'result', cmd: command, ok: false, error: errorView(err) }, 'cannot start');
    return 1;
  }
  try {
    switch (command) {
      case 'sign-in': {
        const email = flags.email ?? env.DESKTOP_EMAIL;
        const password = flags.password ?? env.DESKTOP_PASSWORD;
        if (!email || !password) {
          process.stderr.write('sign-in needs --email and --password (or DESKTOP_EMAIL, DESKTOP_PASSWORD)\n');
          return 2;
        }
        return report(logger, command, await app.signIn(email, password));
      }
      case 'sign-out':
        return report(logger, command, await app.signOut());
      case 'status':
        return report(logger, command, { state: app.state, user: app.user ?? null, version: await app.currentVersion() });
      case 'check-update': {
        const result = await app.checkForUpdate();
        report(logger, command, result);
        return result.status === 'rejected' ? 1 : 0;
      }
      case 'serve':
        return await serve(app, logger);
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    logger.error({ event: 'result', cmd: command, ok: false, error: errorView(err) }, `${command} failed`);
    return 1;
  } finally {
    await app.close();
  }
}

function report(logger: Logger, cmd: string, result: unknown): number {
  logger.info({ event: 'result', cmd, ok: true, result }, `${cmd} done`);
  return 0;
}

async function serve(app: DesktopApp, logger: Logger): Promise<number> {
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        logger.info({ event: 'shutdown', signal }, 'shutting down');
        resolve();
      });
    }
  });
  // A crash leaves a report in the profile and nothing else: no upload (documented).
  const upload = mutant('crash-report-uploaded')
    ? async (file: string) => app.cloud.call('POST', '/v1/crash-reports', { body: await crashReportBody(file) })
    : undefined;
  installCrashHandler(app.options.profileDir, await app.currentVersion(), logger, upload);
  if (mutant('desktop-listens-inbound')) listenOnEveryInterface(logger);
  const commands = serveCommands(app, process.stdin);
  logReady(logger, { mode: 'serve', state: app.state, profileDir: app.options.profileDir, version: await app.currentVersion() });
  if (app.signedIn) {
    // Stay connected: the run loop keeps reconnecting by itself; a refusal shows up as signed-out.
    app.connect().catch((err) => logger.warn({ event: 'connect.failed', error: errorView(err) }, 'could not connect'));
  }
  await Promise.race([commands, stopped]);
  process.stdin.destroy();
  return 0;
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2));
}
