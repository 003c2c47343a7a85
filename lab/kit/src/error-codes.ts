/**
 * The catalogue of every `code` a LabError (or one of its subclasses) can carry: one code per
 * failure, what it means and what to do. This table is the source of truth: `LabError` only
 * accepts these codes, ERRORS.md is rendered from it (`node lab/kit/src/error-codes-page.ts`),
 * and error-codes.test.ts fails when the source throws a code that is not here, when an entry
 * is thrown nowhere or from other packages than `from` says, or when ERRORS.md is stale.
 *
 * Not here: the wire codes MultiClaw Cloud answers with (`ERROR_CODES` in lab/protocol); they
 * are the product's contract, and the harness errors below only quote them in their messages.
 */

/** One code: who gives it, what it means, what to do. */
export interface ErrorCodeEntry {
  /** the packages whose source gives this code (where a subclass fixes it, the subclass's package) */
  readonly from: readonly string[];
  readonly meaning: string;
  readonly action: string;
}

export const LAB_ERROR_CODES = {
  // The staging stack (DEPLOY_*): its configuration and the build `lab deploy` uploads.
  DEPLOY_BAD_CONFIG: {
    from: ['deploy'],
    meaning: "the staging stack's configuration (Pulumi config namespace `multiclaw`) is invalid",
    action: 'fix the keys the message names (`pulumi config set multiclaw:<key> <value>`); deploy/README.md lists every key',
  },
  DEPLOY_BUNDLE_ARCHIVE: {
    from: ['deploy'],
    meaning: 'writing the components bundle (the .tar.gz the instances install) failed',
    action: 'check the output folder is writable and has room; the message names the file',
  },
  DEPLOY_BUNDLE_DEPENDENCY: {
    from: ['deploy'],
    meaning: 'a production dependency of a component is not installed, so the bundle would not run',
    action: 'run the workspace install (`pnpm install`), then build the bundle again',
  },
  DEPLOY_BUNDLE_LINK: {
    from: ['deploy'],
    meaning: 'a symlink in node_modules points outside the checkout, so the bundle cannot carry it',
    action: "reinstall the workspace's dependencies so they are linked inside the checkout",
  },
  DEPLOY_STARTUP_CONFIG: {
    from: ['deploy'],
    meaning:
      "an instance's start-up script cannot be generated from the configuration it was given (a missing digest, a secret where only plain values may go, an unsafe value)",
    action: 'fix the configuration the message names; secrets go through secretFiles, never env',
  },
  // The harness (LAB_*): process control, tools, namespaces, the lab's own services.
  LAB_ADMIN_REQUEST_FAILED: {
    from: ['lab/external'],
    meaning: "a fake external service's admin API (CDN, LLM) answered a request with an error status",
    action: "read the status and message; the service's log says why it refused",
  },
  LAB_ADMIN_SOCKET_PATH: {
    from: ['lab/external'],
    meaning:
      'a fake external service cannot listen on its admin socket: the path is not a socket, or another process listens there',
    action: 'choose another admin socket path, or stop the process that uses it',
  },
  LAB_ALREADY_UP: {
    from: ['lab/network'],
    meaning: 'namespaces with this lab prefix already exist',
    action: '`pnpm lab down` (it also cleans up after a killed harness), or choose another prefix',
  },
  LAB_AWS_AMBIGUOUS_HOST: {
    from: ['lab/aws'],
    meaning: 'more than one running instance of a staging stack carries the tags of one lab host',
    action: 'terminate the extra instances, or run `pnpm lab deploy` to put the stack right',
  },
  LAB_AWS_API: {
    from: ['lab/aws'],
    meaning: 'an AWS API request of the aws driver failed: no credentials, no permission, or an endpoint that does not answer',
    action: 'check the credentials and region (`aws sts get-caller-identity`); the message names the request',
  },
  LAB_AWS_BAD_OUTPUTS: {
    from: ['lab/aws'],
    meaning: "a staging stack's outputs do not match what the aws driver reads (deploy/src/outputs.ts)",
    action: 'deploy the stack again with this checkout: `pnpm lab deploy --stack NAME`',
  },
  LAB_AWS_COMMAND_FAILED: {
    from: ['lab/aws'],
    meaning: 'SSM Run Command did not run a script to its end on an instance (undeliverable, cancelled, terminated, refused)',
    action: 'check the instance is online in Fleet Manager and its role has AmazonSSMManagedInstanceCore',
  },
  LAB_AWS_COMMAND_TIMEOUT: {
    from: ['lab/aws'],
    meaning: 'a script sent through SSM ran past its time on the instance, or SSM gave no final status in time',
    action: "give it a longer timeout, or read the instance's SSM agent log",
  },
  LAB_AWS_DEPLOY_FAILED: {
    from: ['lab/aws'],
    meaning: "`pulumi preview`, `up` or `destroy` of a staging stack failed; the message ends with pulumi's last lines",
    action: 'fix what pulumi names and run the same `pnpm lab deploy` again (it resumes)',
  },
  LAB_AWS_NO_INSTANCE: {
    from: ['lab/aws'],
    meaning: 'no running instance of the staging stack carries the tags of the lab host asked for',
    action: 'wait for an instance being replaced, or `pnpm lab deploy`; `pnpm lab status` lists the hosts',
  },
  LAB_AWS_NO_STACK: {
    from: ['lab/aws'],
    meaning: 'there is no Pulumi stack of the name given',
    action: 'deploy it first: `pnpm lab deploy --stack NAME`',
  },
  LAB_AWS_NOT_READY: {
    from: ['lab/aws'],
    meaning:
      'an attached staging stack is not ready: an instance does not answer SSM, or a public endpoint does not answer /healthz',
    action: 'wait for the instances to start and try `pnpm lab up --driver aws` again',
  },
  LAB_AWS_OUTPUT_MISSING: {
    from: ['lab/aws'],
    meaning: "SSM cut a command's output at its limit and the full copy is not in the stack's command output bucket",
    action: "allow the instance role s3:PutObject on the stack's command output bucket",
  },
  LAB_BAD_ADDRESS: {
    from: ['lab/network'],
    meaning: 'a topology names an address outside the lab (IPv4 in 198.18.0.0/15)',
    action: 'fix the topology; nothing was created',
  },
  LAB_BAD_ENV: {
    from: ['lab/external'],
    meaning: 'an environment variable of a fake external service has a value it cannot use (e.g. a port out of range)',
    action: 'fix the variable as the hint says',
  },
  LAB_BAD_EXEC: {
    from: ['lab/core'],
    meaning: 'a command to run inside a host is empty, or its in-host prefix has a word that is unsafe in a shell script',
    action: 'pass the command and its arguments, e.g. `pnpm lab exec s1-d1 -- ip addr`; host ids are plain words',
  },
  LAB_BAD_FAULT: {
    from: ['lab/network'],
    meaning: 'a network fault was asked for with impossible parameters',
    action: 'ports are 1–65535, shares 0–100 %, addresses IPv4 in 198.18.0.0/15',
  },
  LAB_BAD_THRESHOLD: {
    from: ['lab/load'],
    meaning: 'a load threshold is not an expression the lab can judge (`p99(reconnect_ms) < 1500`, `lost_updates == 0`)',
    action:
      'write AGGREGATE(metric) OP number or metric OP number; aggregates p50…p99.9, min, max, mean, count; OP one of < <= > >= == !=',
  },
  LAB_BAD_LOAD: {
    from: ['lab/load'],
    meaning: 'a load run was asked for outside its bounds (sessions or seconds), or on a lab it cannot run on',
    action: 'keep --clients and --duration within the profile’s bounds (pnpm lab load --help); a lab needs a site desktop host',
  },
  LAB_BAD_METRIC: {
    from: ['lab/load'],
    meaning: 'a load metric was recorded or merged against its kind (a gauge set by two workers, a histogram value below zero)',
    action: 'each metric name has one kind; a gauge has one writer; histograms take whole numbers ≥ 0',
  },
  LAB_BAD_NAME: {
    from: ['lab/kit'],
    meaning: '`createDatabase` was given a name PostgreSQL would need quoting for',
    action: 'use lowercase letters, digits and underscores, starting with a letter or underscore',
  },
  LAB_BAD_NODE: {
    from: ['lab/docker'],
    meaning:
      "the Node running the lab cannot be copied into the docker driver's host image: it is not a Linux binary, or not Node 24",
    action: 'run the lab with a Linux Node 24 (bash scripts/bootstrap.sh installs one)',
  },
  LAB_BAD_PREFIX: {
    from: ['lab/network'],
    meaning: 'a lab prefix is not 1–8 characters: a lowercase letter, then lowercase letters or digits',
    action: 'choose a prefix like `mcl`; prefixes name namespaces, so they stay short and never overlap',
  },
  LAB_BAD_RUN_ID: {
    from: ['scenarios'],
    meaning: 'a run id cannot name a report folder',
    action: 'use letters, digits, ".", "_" and "-" only, and not "latest"',
  },
  LAB_BAD_TOPOLOGY: {
    from: ['lab/network', 'lab/core'],
    meaning:
      'a topology is not one the lab can build: a count out of range, a name too long for an interface, an unknown host id',
    action: 'read the message; `pnpm lab up` takes --sites 1–50, --desktops 1–20 and --cloud-instances 1–8',
  },
  LAB_BROWSER_VIEWER: {
    from: ['lab/core'],
    meaning: 'the headless browser did not load the viewer page, or did not show enough frames of the cloud desktop',
    action:
      "look at the browser console log or the screenshot the hint names; the frames came over WebRTC, so check the lab's TURN server too",
  },
  LAB_CLOUD_API: {
    from: ['lab/core'],
    meaning: "a harness request to the cloud's REST API was answered with an error; the message quotes the wire code",
    action: "look up the wire code in lab/protocol's ERROR_CODES; the cloud's log has the request",
  },
  LAB_DESKTOP_BAD_RESULT: {
    from: ['lab/core'],
    meaning:
      "a desktop command's result does not match its result schema in lab/protocol's desktop command table (or the answer is not a result line)",
    action:
      'the message names the command and the fields: fix the schema (lab/protocol/src/desktop-commands.ts) or the command (lab/desktop-sim/src/commands.ts)',
  },
  LAB_DESKTOP_COMMAND_FAILED: {
    from: ['lab/core'],
    meaning: "the desktop simulator answered a command with an error; the message quotes the app's code",
    action:
      "look up that code below (desktop simulator codes) or in lab/protocol's ERROR_CODES; the desktop's log has the details",
  },
  LAB_DOCS_NOT_FOUND: {
    from: ['scenarios'],
    meaning:
      "MultiClaw's documentation pages (the source of the claims) are neither beside the repository nor in SHARED_DOCS_DIR",
    action: 'set SHARED_DOCS_DIR to the folder holding security-overview.md and the other pages',
  },
  LAB_HELPER_FAILED: {
    from: ['lab/network'],
    meaning: 'a helper the driver runs inside a host failed: a probe listener, a packet capture, or the removal of a fault',
    action: 'read the detail in the message; for a fault that would not heal, `pnpm lab down` removes everything',
  },
  LAB_IMAGE_BUILD_FAILED: {
    from: ['lab/docker'],
    meaning:
      "building one of the docker driver's images failed: mmdebstrap, `docker import` or the host image's build; the message has the step and its last output",
    action: 'read the output in the message (a mirror that cannot be reached?), then `pnpm lab images` again',
  },
  LAB_INFRA_CONFIG: {
    from: ['lab/infra'],
    meaning:
      'a third-party service (coturn, toxiproxy, the proxies) was configured with an address, port or range outside the lab',
    action: 'use addresses in 198.18.0.0/15 or loopback, ports 1–65535',
  },
  LAB_INSTALL_FAILED: {
    from: ['lab/cli'],
    meaning: '`lab doctor --install` could not install a tool (no package registry or Go proxy reachable, a failing build)',
    action: 'run the commands the message lists once the registry is reachable, then `pnpm lab doctor`',
  },
  LAB_MISSING_ENV: {
    from: ['lab/external'],
    meaning: 'a fake external service was started without an environment variable it needs',
    action: 'set the variable the message names',
  },
  LAB_MISSING_TOOL: {
    from: ['lab/cli', 'lab/kit'],
    meaning: 'a program the lab needs is not installed, or cannot be installed automatically',
    action: 'install what the hint names, or run `pnpm lab doctor --install`',
  },
  LAB_NET_COMMAND_FAILED: {
    from: ['lab/network'],
    meaning: 'an `ip`, `nft` or other network command failed; the message has the command, the namespace and its stderr',
    action: 'read the stderr; a half-made lab is removed by `pnpm lab down`',
  },
  LAB_DOCKER_STALE_ENDPOINT: {
    from: ['lab/docker'],
    meaning:
      'the Docker daemon refuses to remove a lab network for an endpoint no container holds any more (a stale endpoint in its own store)',
    action:
      'restart the Docker daemon (stop the one scripts/dockerd.sh started and run it again, or systemctl restart docker), then `pnpm lab down` again',
  },
  LAB_NETWORKS_IN_USE: {
    from: ['lab/docker'],
    meaning:
      'another docker lab on the same Docker daemon holds the subnets this lab needs (every lab uses the same address plan, and Docker refuses overlapping networks)',
    action: 'take the other lab down (`LAB_PREFIX=<its prefix> pnpm lab down`) or wait for it to finish',
  },
  LAB_NO_DOCKER: {
    from: ['lab/docker'],
    meaning: 'no Docker daemon answers (or there is no docker command), and the docker driver needs one',
    action: 'start Docker (Docker Desktop, `sudo systemctl start docker`), or as root `bash scripts/dockerd.sh`',
  },
  LAB_NO_PORT: {
    from: ['lab/kit'],
    meaning: 'the system gave no free TCP port on loopback',
    action: 'free some ports (too many processes left over?) and try again',
  },
  LAB_NO_POSTGRES_ACCOUNT: {
    from: ['lab/core', 'lab/kit'],
    meaning:
      'running as root, there is no `postgres` system account (PostgreSQL refuses to run as root, so the lab runs it as that account)',
    action: 'apt-get install -y postgresql',
  },
  LAB_NOT_ROOT: {
    from: ['lab/cli', 'lab/network'],
    meaning: 'an action needs root: making network namespaces, or installing system packages',
    action: 'run as root, e.g. `sudo pnpm lab up`; for installs, run the commands the message lists',
  },
  LAB_NOT_UP: {
    from: ['lab/core', 'lab/network'],
    meaning: 'a network driver, or a lab being taken down, was asked to do something after `down()` (or before `up()`)',
    action: 'call up() first; after down() make a new driver or bring a new lab up',
  },
  LAB_NSS_TRUST: {
    from: ['lab/core'],
    meaning: "the lab CA could not be added to Chromium's NSS database",
    action: 'install certutil: apt-get install -y libnss3-tools (or `pnpm lab doctor --install`)',
  },
  LAB_POSTGRES_FAILED: {
    from: ['lab/core', 'lab/kit', 'lab/load'],
    meaning: "initdb or pg_ctl failed, or reading the lab's database (psql in the db host) did; the message has their stderr",
    action: 'read the stderr; as root, the postgres account must be able to reach the state folder',
  },
  LAB_PROCESS_EXITED: {
    from: ['lab/core', 'lab/kit'],
    meaning: 'a process the lab started exited before it was ready (or, waiting for a log line, every process of a service did)',
    action: "read the last output in the message, then the service's log (`pnpm lab logs <service>`)",
  },
  LAB_READY_TIMEOUT: {
    from: ['lab/core', 'lab/kit'],
    meaning:
      'a process the lab started did not print its ready line (or the awaited line) in time, or the load balancer did not put a restarted cloud instance back in rotation',
    action: 'read the last output in the message: it usually waits for a peer (database, cloud) that is not reachable',
  },
  LAB_START_FAILED: {
    from: ['lab/core'],
    meaning: '`lab up` failed in the phase the message names; everything made so far was taken down',
    action: 'read the cause in the message and the logs in the state folder (.lab/)',
  },
  LAB_STATE_NOT_SEARCHABLE: {
    from: ['lab/core'],
    meaning: "the postgres account cannot reach the lab's state folder",
    action: 'make every folder above the state folder searchable by other users (chmod o+x), or set LAB_STATE_DIR elsewhere',
  },
  LAB_TEARDOWN_FAILED: {
    from: ['lab/network'],
    meaning: 'a namespace could not be removed: its processes survived SIGKILL, or `ip netns delete` failed',
    action: 'look at `ip netns list` and `ip netns pids NS`; run `pnpm lab down` again once the processes are gone',
  },
  LAB_TOXIPROXY: {
    from: ['lab/infra'],
    meaning: "toxiproxy's API refused a request (making a proxy or a toxic)",
    action:
      'read the status and answer in the message; toxiproxy logs as the `<site>-toxiproxy` service (`pnpm lab logs s1-toxiproxy`)',
  },
  LAB_UNKNOWN_CLAIM: {
    from: ['scenarios'],
    meaning: 'a scenario names a claim id that is not in the catalogue',
    action: 'use an id from scenarios/claims/*.ts (SO-nn, CS-nn, DE-nn or NS-nn)',
  },
  LAB_UNKNOWN_DESKTOP: {
    from: ['lab/core'],
    meaning: 'there is no desktop simulator on the host asked for',
    action: 'use a desktop host id as `pnpm lab status` lists them (e.g. s1-d1)',
  },
  LAB_UNKNOWN_SERVICE: {
    from: ['lab/core'],
    meaning: 'there is no service with the id asked for',
    action: 'use a service id from the message (or `pnpm lab status`)',
  },
  LAB_UNKNOWN_SITE: {
    from: ['lab/network'],
    meaning: 'there is no site with the id asked for',
    action: 'use a site id from the message (s1, s2, …)',
  },
  LAB_UNSUPPORTED: {
    from: ['lab/aws', 'lab/cli', 'lab/core'],
    meaning: "the lab's driver cannot do what was asked (e.g. run a browser inside a host)",
    action: 'run it on a driver that can (netns); the hint names what is missing',
  },
  LAB_UNREADABLE_FILE: {
    from: ['lab/external'],
    meaning: 'a file named by an environment variable of a fake external service cannot be read',
    action: 'point the variable at a readable file',
  },

  // The reference gateway (GATEWAY_*): why it refuses to start.
  GATEWAY_BAD_CONFIG: {
    from: ['lab/gateway'],
    meaning: 'openclaw.json is not JSON, or not a valid gateway configuration',
    action: 'fix or remove the file; the gateway recreates an empty one',
  },
  GATEWAY_INSECURE_PERMISSIONS: {
    from: ['lab/gateway'],
    meaning: "the gateway's folder or a file holding credentials is open to group or others",
    action: 'chmod 700 the folder, 600 the file (the hint has the command)',
  },
  GATEWAY_WRONG_CREDENTIAL: {
    from: ['lab/gateway'],
    meaning: 'openclaw.json holds a workspace token of the wrong kind for the mode (daemon mode needs an instance token)',
    action: 'daemon: provision the instance token with GATEWAY_INSTANCE_TOKEN; local: link again from the desktop app',
  },

  // The reference desktop app (lab/desktop-sim): its own refusals, in the product's snake_case.
  bad_option: {
    from: ['lab/desktop-sim'],
    meaning: 'a desktop app option is missing or invalid (cloud URL, update key, a timing)',
    action: 'fix the flag or DESKTOP_* variable the message names',
  },
  gateway_file_invalid: {
    from: ['lab/desktop-sim'],
    meaning: "the local gateway's API file is not JSON or not of the expected shape",
    action: 'restart the local gateway (it rewrites the file when it is ready)',
  },
  gateway_not_local: {
    from: ['lab/desktop-sim'],
    meaning:
      "the local gateway's API file points elsewhere than plain HTTP on loopback; the app refuses to send its session token there",
    action: 'restart the local gateway; nothing else should write that file',
  },
  gateway_not_running: {
    from: ['lab/desktop-sim'],
    meaning: "the local gateway's API file cannot be read: the gateway is not running, or DESKTOP_GATEWAY_HOME is wrong",
    action: 'start the local gateway, or fix DESKTOP_GATEWAY_HOME',
  },
  no_cdn: {
    from: ['lab/desktop-sim'],
    meaning: 'an update was asked for, but no update CDN is configured',
    action: 'set cdnUrl (DESKTOP_CDN_URL)',
  },
  no_gateway: {
    from: ['lab/desktop-sim'],
    meaning: 'a local-gateway action was asked for, but no gateway home is configured',
    action: 'set gatewayHome (DESKTOP_GATEWAY_HOME)',
  },
  not_connected: {
    from: ['lab/desktop-sim'],
    meaning: 'the real-time connection to the cloud is not open',
    action: 'connect first (serve command `connect`)',
  },
  not_signed_in: {
    from: ['lab/desktop-sim'],
    meaning: 'the desktop app is not signed in',
    action: 'sign in first (CLI: desktop-sim sign-in --email … --password …)',
  },
  too_large: {
    from: ['lab/desktop-sim'],
    meaning:
      'an answer (cloud, gateway, CDN download) is larger than the app accepts; it was cancelled, and an update is rejected',
    action: 'none when a scenario sends an oversized answer on purpose; otherwise see which service sent it',
  },
  webrtc_failed: {
    from: ['lab/desktop-sim'],
    meaning: 'no ICE candidate pair worked between the viewer and the cloud desktop',
    action: 'check that the TURN server is reachable and, in `auto` mode, try `turn-relay`',
  },
  webrtc_no_turn: {
    from: ['lab/desktop-sim'],
    meaning: 'the cloud offers no TURN URL for the viewing mode asked for',
    action: "configure the cloud's CLOUD_TURN_URLS",
  },
  webrtc_refused: {
    from: ['lab/desktop-sim'],
    meaning: 'the cloud desktop ended the viewing session during setup (rtc.close)',
    action: "read the reason in the message; the gateway's log says why",
  },
  webrtc_timeout: {
    from: ['lab/desktop-sim'],
    meaning: 'no WebRTC connection (or not enough frames) within the time limit',
    action: 'UDP may be blocked: try the `turn-relay` mode (TCP/TLS 443); check the TURN certificate is trusted',
  },
} as const satisfies Record<string, ErrorCodeEntry>;

export type LabErrorCode = keyof typeof LAB_ERROR_CODES;
