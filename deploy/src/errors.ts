import { LabError } from '@multiclaw-lab/kit';

/** A staging stack configuration the program refuses, found before anything is deployed. */
export class StackConfigError extends LabError {
  constructor(problems: string[]) {
    super(
      'DEPLOY_BAD_CONFIG',
      `the staging stack's configuration (Pulumi config namespace "multiclaw") is invalid: ${problems.join('; ')}. ` +
        'Fix the keys named here with `pulumi config set multiclaw:<key> <value>` (or through `lab deploy`); deploy/README.md lists every key.',
    );
  }
}
