/**
 * `pnpm lab …`: the lab's command line. Every command is a function of a CliContext and
 * returns an exit code; this file only parses, dispatches and turns surprises into one line.
 */
import { type Command, parseCommand, USAGE, UsageError } from './args.ts';
import { type CliContext, systemContext } from './context.ts';
import { deploy } from './deploy.ts';
import { doctor, report } from './doctor-command.ts';
import { down } from './down.ts';
import { images } from './images.ts';
import { exec, logs, status } from './inspect.ts';
import { load } from './load.ts';
import { mutate } from './mutate.ts';
import { reportDrivers } from './report-drivers.ts';
import { run } from './run.ts';
import { up } from './up.ts';

export async function runCommand(ctx: CliContext, command: Command): Promise<number> {
  switch (command.name) {
    case 'help':
      ctx.stdout(`${USAGE}\n`);
      return 0;
    case 'up':
      return up(ctx, command);
    case 'down':
      return down(ctx, { prefix: command.prefix });
    case 'status':
      return status(ctx, command);
    case 'logs':
      return logs(ctx, command);
    case 'exec':
      return exec(ctx, command);
    case 'doctor':
      return doctor(ctx, command);
    case 'images':
      return images(ctx, command);
    case 'report':
      return command.drivers ? reportDrivers(ctx) : report(ctx);
    case 'run':
      return run(ctx, command);
    case 'mutate':
      return mutate(ctx, command);
    case 'load':
      return load(ctx, command);
    case 'deploy':
      return deploy(ctx, command);
  }
}

/** Exit 2 with the usage for a usage error, 1 with the message for anything else. */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    ctx.stderr(`lab: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await runCommand(ctx, command);
  } catch (err) {
    ctx.stderr(`lab ${command.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2), systemContext());
}
