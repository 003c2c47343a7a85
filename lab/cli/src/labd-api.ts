/**
 * labd's control API: plain HTTP over a unix socket in the state folder (root-only, 0600), so
 * any shell on the machine reaches the running lab and nothing on a network does.
 *
 *   GET  /status                         the Lab's status (runs every health check)
 *   GET  /services                       the ids of its services (no health checks)
 *   POST /exec   {host, argv}            runs argv inside a host, returns code/stdout/stderr
 *   GET  /logs/:service?lines=N&follow=1 the service's JSON-lines log, text/plain, streamed with follow
 *   POST /run    {ids, tags, seed, shard, reportsDir}  runs scenarios on this lab; answers NDJSON progress, then "done"
 *   POST /load   {profile, clients, durationS, fault, thresholds, reportsDir}  a bounded load run; NDJSON the same way
 *   POST /down                           takes the lab down, answers, then labd exits
 */
import { existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isAbsolute } from 'node:path';
import type { Logger } from '@multiclaw-lab/kit';
import { ProtocolError } from '@multiclaw-lab/protocol';
import type { RunSummary } from '@multiclaw-lab/scenarios/summary';
import type { Lab } from './lab-api.ts';
import { followLines, readLastLines } from './tail.ts';

export interface LabdApiOptions {
  lab: Lab;
  socket: string;
  logger: Logger;
  /** takes the lab down (once, however often it is called) */
  takeDown: () => Promise<void>;
  /** called after POST /down has answered: labd stops serving and exits */
  onDown: () => void;
  /** a load run on this lab (POST /load); absent: the route answers 404 */
  runLoad?: (request: LoadRequest, onProgress: (text: string) => void) => Promise<LoadSummary>;
  /** runs scenarios on this lab (POST /run); absent: the route answers 404 */
  runScenarios?: (request: RunRequest, onProgress: (text: string) => void) => Promise<RunSummary>;
}

export interface RunRequest {
  ids: string[];
  tags: string[];
  seed?: number;
  /** only part `index` (1-based) of the selected scenarios split into `total` parts */
  shard?: { index: number; total: number };
  /** where the report goes (the CLI's LAB_REPORTS_DIR, an absolute path); default the repository's reports/ */
  reportsDir?: string;
  /** the whole-run checkers to run after the scenarios, by id; absent: all */
  checkers?: string[];
  /** false: only the checkers, no scenario */
  scenarios?: false;
}

export interface LoadRequest {
  profile: string;
  clients?: number;
  durationS?: number;
  /** storm and tasks: `links` or `instance` (checked by the load package) */
  fault?: string;
  /** sessions and storm: the sessions resume their TLS sessions (checked by the load package) */
  tlsResumption?: boolean;
  thresholds: string[];
  reportsDir?: string;
}

/** What a load run answers with: its outcome per threshold and where its report is. */
export interface LoadSummary {
  profile: string;
  clients: number;
  passed: boolean;
  runDir: string;
  thresholds: Array<{ threshold: string; passed: boolean; actual?: number; reason?: string }>;
}

export function parseLoad(body: unknown): LoadRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const positive = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) > 0);
  if (typeof b.profile !== 'string' || !/^[a-z]{1,20}$/.test(b.profile))
    throw new ProtocolError('bad_request', 'invalid request: profile is a profile name');
  if (!positive(b.clients) || !positive(b.durationS))
    throw new ProtocolError('bad_request', 'invalid request: clients and durationS are positive whole numbers');
  if (b.fault !== undefined && (typeof b.fault !== 'string' || !/^[a-z]{1,20}$/.test(b.fault)))
    throw new ProtocolError('bad_request', 'invalid request: fault is a fault name');
  if (b.tlsResumption !== undefined && typeof b.tlsResumption !== 'boolean')
    throw new ProtocolError('bad_request', 'invalid request: tlsResumption is true or false');
  const thresholds = b.thresholds ?? [];
  if (!Array.isArray(thresholds) || !thresholds.every((t) => typeof t === 'string' && t.length <= 200))
    throw new ProtocolError('bad_request', 'invalid request: thresholds are strings');
  if (b.reportsDir !== undefined && (typeof b.reportsDir !== 'string' || !isAbsolute(b.reportsDir)))
    throw new ProtocolError('bad_request', 'invalid request: reportsDir is an absolute path');
  return {
    profile: b.profile,
    ...(b.clients === undefined ? {} : { clients: b.clients as number }),
    ...(b.durationS === undefined ? {} : { durationS: b.durationS as number }),
    ...(b.fault === undefined ? {} : { fault: b.fault as string }),
    ...(b.tlsResumption === undefined ? {} : { tlsResumption: b.tlsResumption as boolean }),
    thresholds: thresholds as string[],
    ...(b.reportsDir === undefined ? {} : { reportsDir: b.reportsDir as string }),
  };
}

export function parseRun(body: unknown): RunRequest {
  const b = (body ?? {}) as {
    ids?: unknown;
    tags?: unknown;
    seed?: unknown;
    shard?: unknown;
    reportsDir?: unknown;
    checkers?: unknown;
    scenarios?: unknown;
  };
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length < 100);
  if ((b.ids !== undefined && !strings(b.ids)) || (b.tags !== undefined && !strings(b.tags))) {
    throw new ProtocolError('bad_request', 'invalid request: ids and tags are arrays of strings');
  }
  if (b.seed !== undefined && !(Number.isInteger(b.seed) && (b.seed as number) > 0)) {
    throw new ProtocolError('bad_request', 'invalid request: seed is a positive whole number');
  }
  const shard = b.shard as { index?: unknown; total?: unknown } | null | undefined;
  if (
    shard !== undefined &&
    !(
      typeof shard === 'object' &&
      shard !== null &&
      Number.isSafeInteger(shard.total) &&
      (shard.total as number) >= 1 &&
      Number.isSafeInteger(shard.index) &&
      (shard.index as number) >= 1 &&
      (shard.index as number) <= (shard.total as number)
    )
  ) {
    throw new ProtocolError('bad_request', 'invalid request: shard is {index, total}, whole numbers with 1 <= index <= total');
  }
  if (b.checkers !== undefined && !strings(b.checkers)) {
    throw new ProtocolError('bad_request', 'invalid request: checkers is an array of checker ids');
  }
  if (b.scenarios !== undefined && b.scenarios !== false) {
    throw new ProtocolError('bad_request', 'invalid request: scenarios is false or absent');
  }
  if (b.reportsDir !== undefined && !(typeof b.reportsDir === 'string' && isAbsolute(b.reportsDir))) {
    throw new ProtocolError('bad_request', 'invalid request: reportsDir is an absolute path');
  }
  return {
    ids: (b.ids as string[]) ?? [],
    tags: (b.tags as string[]) ?? [],
    ...(b.seed === undefined ? {} : { seed: b.seed as number }),
    ...(shard === undefined ? {} : { shard: { index: shard.index as number, total: shard.total as number } }),
    ...(b.reportsDir === undefined ? {} : { reportsDir: b.reportsDir as string }),
    ...(b.checkers === undefined ? {} : { checkers: b.checkers as string[] }),
    ...(b.scenarios === false ? { scenarios: false as const } : {}),
  };
}

const MAX_BODY = 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ProtocolError('payload_too_large', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ProtocolError('bad_request', 'request body is not JSON; send {"host": "...", "argv": ["cmd", "arg"]}');
  }
}

function parseExec(body: unknown): { host: string; argv: string[] } {
  const b = body as { host?: unknown; argv?: unknown } | null;
  const issues: Array<{ path: string; message: string }> = [];
  if (typeof b?.host !== 'string' || b.host === '') issues.push({ path: 'host', message: 'a host id, e.g. "s1-d1"' });
  if (!Array.isArray(b?.argv) || b.argv.length === 0 || !b.argv.every((a) => typeof a === 'string')) {
    issues.push({ path: 'argv', message: 'a non-empty array of strings' });
  }
  if (issues.length > 0)
    throw new ProtocolError('bad_request', `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      issues,
    });
  return { host: b!.host as string, argv: b!.argv as string[] };
}

async function serveLog(lab: Lab, service: string, url: URL, res: ServerResponse): Promise<void> {
  const services = lab.serviceIds();
  if (!services.includes(service)) {
    throw new ProtocolError('not_found', `no service ${JSON.stringify(service)}; services: ${services.join(', ')}`);
  }
  const file = lab.logFile(service);
  const lines = Number(url.searchParams.get('lines') ?? '50');
  if (!Number.isInteger(lines) || lines < 0) throw new ProtocolError('bad_request', 'lines must be a whole number');
  const follow = url.searchParams.get('follow') === '1';
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  let end = 0;
  if (existsSync(file)) {
    const tail = await readLastLines(file, lines);
    end = tail.end;
    for (const line of tail.lines) res.write(`${line}\n`);
  }
  if (!follow) {
    res.end();
    return;
  }
  const stop = new AbortController();
  res.on('close', () => stop.abort());
  await followLines(file, end, (line) => res.write(`${line}\n`), stop.signal);
  res.end();
}

export async function serveLabdApi(options: LabdApiOptions): Promise<Server> {
  const { lab, logger } = options;
  /** the job going on, if any */
  let running: false | 'scenario run' | 'load run' = false;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://labd');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /status') return sendJson(res, 200, await lab.status());
    if (route === 'GET /services') return sendJson(res, 200, { services: lab.serviceIds() });
    if (route === 'POST /exec') {
      const { host, argv } = parseExec(await readJson(req));
      logger.info({ event: 'exec', host, argv }, 'exec');
      return sendJson(res, 200, await lab.exec(host, argv));
    }
    if (req.method === 'GET' && url.pathname.startsWith('/logs/')) {
      return serveLog(lab, decodeURIComponent(url.pathname.slice('/logs/'.length)), url, res);
    }
    /**
     * One job at a time on a lab (a scenario run or a load run), answered as NDJSON: progress
     * lines as they come, then one "done" (or "failed") line.
     */
    const streamJob = async (
      name: 'run' | 'load',
      request: object,
      job: (onProgress: (text: string) => void) => Promise<object>,
    ) => {
      if (running) throw new ProtocolError('conflict', `a ${running} is already going on this lab; wait for it`);
      running = name === 'run' ? 'scenario run' : 'load run';
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const line = (value: unknown) => res.write(`${JSON.stringify(value)}\n`);
      logger.info({ event: `${name}.started`, ...request }, `${running} started`);
      try {
        const outcome = await job((text) => line({ event: 'progress', text }));
        line({ event: 'done', ...outcome });
        logger.info({ event: `${name}.finished`, ...(outcome as Record<string, unknown>) }, `${running} finished`);
      } catch (err) {
        line({ event: 'failed', message: err instanceof Error ? err.message : String(err) });
        logger.error({ event: `${name}.failed`, error: String(err) }, `${running} failed`);
      } finally {
        running = false;
        res.end();
      }
    };
    if (route === 'POST /run') {
      const runScenarios = options.runScenarios;
      if (!runScenarios) throw new ProtocolError('not_found', 'this labd cannot run scenarios');
      const request = parseRun(await readJson(req));
      return streamJob('run', request, (onProgress) => runScenarios(request, onProgress));
    }
    if (route === 'POST /load') {
      const runLoad = options.runLoad;
      if (!runLoad) throw new ProtocolError('not_found', 'this labd cannot run load');
      const request = parseLoad(await readJson(req));
      return streamJob('load', request, (onProgress) => runLoad(request, onProgress));
    }
    if (route === 'POST /down') {
      logger.info({ event: 'down.requested' }, 'down requested');
      await options.takeDown();
      sendJson(res, 200, { down: true, prefix: lab.prefix });
      res.on('finish', options.onDown);
      return;
    }
    throw new ProtocolError(
      'not_found',
      `no route ${route}; routes: GET /status, GET /services, POST /exec, GET /logs/:service, POST /run, POST /load, POST /down`,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const error =
        err instanceof ProtocolError ? err : new ProtocolError('bad_request', err instanceof Error ? err.message : String(err));
      if (!(err instanceof ProtocolError))
        logger.warn({ event: 'api.failed', url: req.url, error: error.message }, 'request failed');
      if (res.headersSent) res.end();
      else sendJson(res, error.httpStatus, error.toBody());
    });
    // a scenario run answers for many minutes; Node's default request timeout would cut it
    server.requestTimeout = 0;
  });
  // a socket file left by a killed labd would make listen() fail with EADDRINUSE
  await rm(options.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socket, resolve);
  });
  await chmod(options.socket, 0o600);
  return server;
}
