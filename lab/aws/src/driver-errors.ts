import { LabError } from '@multiclaw-lab/kit';

/** An operation of the driver contract that this driver has no way to do, and why. */
export class DriverCannotError extends LabError {
  constructor(driver: string, action: string, reason: string) {
    super('LAB_UNSUPPORTED', `the ${driver} driver cannot ${action}: ${reason}`, {
      hint: 'a scenario that needs it declares the capability and is skipped on this driver',
    });
  }
}
