import { LabError, MissingToolError } from '@multiclaw-lab/kit';

/** No Docker daemon answers (or there is no docker command at all). */
export class NoDockerError extends LabError {
  constructor(detail: string, cause?: unknown) {
    super('LAB_NO_DOCKER', `no Docker daemon answers: ${detail}`, {
      cause,
      hint: "start Docker (Docker Desktop, or 'sudo systemctl start docker'), or as root: bash scripts/dockerd.sh",
    });
  }
}

/** A step of an image build failed: mmdebstrap, `docker import`, the host image's build. */
export class ImageBuildError extends LabError {
  constructor(image: string, step: string, detail: string, cause?: unknown) {
    super('LAB_IMAGE_BUILD_FAILED', `building ${image} failed at ${step}: ${detail}`, { cause });
  }
}

/** The Node copied into the host image must run there: a Linux ELF binary, major version 24. */
export class UnsuitableNodeError extends LabError {
  constructor(path: string, why: string) {
    super('LAB_BAD_NODE', `the host image needs a Linux Node 24 binary to copy, and ${path} ${why}`, {
      hint: 'run the lab with a Linux Node 24 (bash scripts/bootstrap.sh installs one)',
    });
  }
}

export function mmdebstrapMissing(root: boolean): MissingToolError {
  return new MissingToolError(
    'mmdebstrap (it builds the lab base image)',
    root
      ? 'apt-get install mmdebstrap'
      : 'apt-get install mmdebstrap uidmap, and give your user subordinate id ranges: ' +
          'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "$USER"',
  );
}

export function toxiproxyMissing(): MissingToolError {
  return new MissingToolError(
    'toxiproxy-server (it is copied into the lab host image)',
    'pnpm lab doctor --install builds it into /opt/multiclaw-lab/bin',
  );
}
