/**
 * Where the lab's own files are on every staging instance, shared by the start-up script (which
 * makes them) and the aws driver (whose scripts use them): the lab's state folder, the wall-clock
 * offset every lab process follows through libfaketime, and Node on the system PATH.
 */

/** The lab's own folder on every instance (pid files, captures, the clock offset). */
export const INSTANCE_STATE_DIR = '/var/lib/multiclaw-lab';
/** What every process started for the lab reads its wall-clock offset from (libfaketime). */
export const INSTANCE_CLOCK_FILE = `${INSTANCE_STATE_DIR}/clock.offset`;
/** libfaketime as Debian 12 installs it on amd64 (staging instances and the docker images alike). */
export const INSTANCE_LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
/** Node as programs the driver starts find it (a link to the installed binary, as in the docker host image) */
export const INSTANCE_NODE_LINK = '/usr/local/bin/node';
/** the unpacked components bundle: the harness's checkout as the instance has it */
export const INSTANCE_APP_DIR = '/opt/multiclaw-lab/app';

/** The environment that makes a program on an instance follow the instance's lab clock. */
export function instanceClockEnv(): Record<string, string> {
  return {
    LD_PRELOAD: INSTANCE_LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: INSTANCE_CLOCK_FILE,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}
