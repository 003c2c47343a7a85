/**
 * Streaming output from an instance: a Session Manager session running one non-interactive
 * command (document AWS-StartNonInteractiveCommand), opened by the user's AWS CLI with the
 * Session Manager plugin; there is no SDK way to read a session's stream. The script goes as
 * base64 into `echo … | base64 -d | sh`, so no character of it meets a quoting rule on the way
 * (CLI argument, the document's parameter, the shell the agent runs it with).
 */
export const START_NON_INTERACTIVE = 'AWS-StartNonInteractiveCommand';

export const AWS_CLI_INSTALL = 'https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html';
export const SESSION_PLUGIN_INSTALL =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

export interface SessionTarget {
  instanceId: string;
  region: string;
  script: string;
  profile?: string;
  /** a stand-in's endpoint (tests); absent on AWS */
  endpoint?: string;
}

/** The shell line the session runs: the script, decoded on the instance and fed to sh. */
export function sessionCommand(script: string): string {
  return `echo ${Buffer.from(script, 'utf8').toString('base64')} | base64 -d | sh`;
}

/** argv of `aws` (without the program name) that opens the session. */
export function startSessionArgv(target: SessionTarget): string[] {
  return [
    'ssm',
    'start-session',
    '--target',
    target.instanceId,
    '--document-name',
    START_NON_INTERACTIVE,
    // JSON, not the CLI's shorthand (`command=…`), which splits at commas
    '--parameters',
    JSON.stringify({ command: [sessionCommand(target.script)] }),
    '--region',
    target.region,
    ...(target.profile ? ['--profile', target.profile] : []),
    ...(target.endpoint ? ['--endpoint-url', target.endpoint] : []),
  ];
}

/** What a user without the AWS CLI or the plugin is told. */
export function streamToolsMissing(detail: string): string {
  return (
    `cannot stream from the instance: ${detail}. Streaming needs the AWS CLI (${AWS_CLI_INSTALL}) ` +
    `and the Session Manager plugin (${SESSION_PLUGIN_INSTALL}); pnpm lab doctor checks both`
  );
}
