import { LabError } from '@multiclaw-lab/kit';

/** Failures of building the components bundle: what failed, where, and what to do. */
export class BundleError extends LabError {
  constructor(
    code: 'DEPLOY_BUNDLE_DEPENDENCY' | 'DEPLOY_BUNDLE_LINK' | 'DEPLOY_BUNDLE_ARCHIVE',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** A production dependency that is not installed where Node would look for it. */
export function missingDependency(name: string, from: string): BundleError {
  return new BundleError(
    'DEPLOY_BUNDLE_DEPENDENCY',
    `${name}, a dependency of ${from}, is not installed: run the workspace install, then build the bundle again`,
  );
}

/** A symlink in node_modules that points outside the checkout (the bundle could not carry it). */
export function linkOutsideRoot(link: string, target: string): BundleError {
  return new BundleError(
    'DEPLOY_BUNDLE_LINK',
    `${link} points outside the checkout (${target}): reinstall the workspace's dependencies so they are linked inside it`,
  );
}

export function archiveFailed(outFile: string, detail: string, cause?: unknown): BundleError {
  return new BundleError('DEPLOY_BUNDLE_ARCHIVE', `writing the bundle ${outFile} failed: ${detail}`, { cause });
}
