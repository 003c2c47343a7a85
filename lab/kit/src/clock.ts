/**
 * Application time. Services read time only through a Clock so unit tests can move it; in the
 * lab, processes use the system clock, which libfaketime shifts per host.
 */
export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number | Date = Date.now()) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  set(to: number | Date): void {
    this.#now = typeof to === 'number' ? to : to.getTime();
  }
}

export const nowIso = (clock: Clock): string => new Date(clock.now()).toISOString();
