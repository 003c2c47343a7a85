/**
 * deploy/'s parts for `lab deploy`, loaded only when a deploy runs (the program pulls in
 * @pulumi/aws, which is large). The instances are Linux x64, so the Node binary carried to them
 * is this one only when it is a Linux x64 Node.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '@multiclaw-lab/kit';
import type { BuiltArtifacts } from './config.ts';
import type { DeployParts } from './stack.ts';

/** deploy/'s bundle builder (artifacts/bundle.ts), as far as lab deploy uses it. */
type BuildBundle = (outFile: string, options: { onProgress?: (p: { message: string }) => void }) => Promise<unknown>;

export async function loadDeployParts(options: { workDir: string }): Promise<DeployParts> {
  const deploy = await import('@multiclaw-lab/deploy');
  return {
    // the inline program: with no input it reads and checks the stack's own config
    program: () => deploy.stagingProgram(),
    generateSecrets: () => deploy.generateStackSecrets(),
    generateTls: (names) => deploy.generateStackTls(names),
    parseOutputs: (values) => deploy.stackOutputsSchema.safeParse(values),
    async buildArtifacts(onProgress): Promise<BuiltArtifacts> {
      // a seam while deploy/ does not export its bundle builder from its index
      const buildBundle = (deploy as unknown as { buildBundle?: BuildBundle }).buildBundle;
      if (!buildBundle)
        throw new LabError(
          'LAB_UNSUPPORTED',
          'this checkout cannot build the components bundle: deploy/ exports no buildBundle',
          {
            hint: 'export buildBundle from deploy/src/index.ts (it lives in deploy/src/artifacts/bundle.ts)',
          },
        );
      if (process.platform !== 'linux' || process.arch !== 'x64')
        throw new LabError(
          'LAB_UNSUPPORTED',
          `the staging instances run Linux x64 Node, and this Node is ${process.platform}-${process.arch}`,
          {
            hint: 'run pnpm lab deploy on a Linux x64 machine (a CI job, or a container)',
          },
        );
      await mkdir(options.workDir, { recursive: true });
      const bundlePath = join(options.workDir, 'components.tar.gz');
      await buildBundle(bundlePath, { onProgress: (p) => onProgress(p.message) });
      return { nodePath: process.execPath, bundlePath };
    },
  };
}
