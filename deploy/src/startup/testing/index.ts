/**
 * @multiclaw-lab/deploy/startup-testing: the start-up scripts run against stand-ins for AWS in
 * containers of the docker driver's base image (for tests only: nothing here reaches AWS).
 */
export { renderStartupScript, type StartupConfig } from '../index.ts';
export * from './stack-runtime.ts';
export * from './stand-ins.ts';
