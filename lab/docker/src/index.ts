export { DockerDriver, type DockerUpOptions, dockerDriver } from './docker-driver.ts';
export { NetworksInUseError } from './errors.ts';
export { docker } from './exec.ts';
export { ensureLabImages, type ImageReport, imageProblems, type LabImages, labImageNames } from './images/index.ts';
export { containerName, LABEL, networkName } from './labels.ts';
export { type DockerTeardownReport, labObjects, teardownDockerLab } from './teardown.ts';
