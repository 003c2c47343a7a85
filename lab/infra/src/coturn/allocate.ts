/**
 * A minimal TURN client that does one thing: an authenticated Allocate (RFC 5766) over UDP,
 * TCP or TLS, and reports what the server answered — then, if asked, a CreatePermission for
 * each of a list of peers on that allocation (which peers the relay would carry traffic to).
 * It is the relay's health probe and the TLS test client (turnutils_uclient 4.6.1 stalls over
 * TLS with OpenSSL 3). Long-term credential flow: an unauthenticated request earns a 401 with
 * realm and nonce, the second request carries USERNAME/REALM/NONCE and MESSAGE-INTEGRITY keyed
 * with MD5(user:realm:pass).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface AllocateOptions {
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  username: string;
  credential: string;
  /** CA(s) for TLS; required for 'tls' so the machine's trust store never decides */
  ca?: string | string[];
  servername?: string;
  timeoutMs?: number;
  /** peer IPv4 addresses to ask a permission for, one CreatePermission each, once allocated */
  permissions?: string[];
}

/** What the relay answered to a CreatePermission for `peer`: 200, or its error code (403: a denied peer). */
export interface PermissionResult {
  peer: string;
  status: number;
  reason?: string;
}

export type AllocateResult =
  | { ok: true; relayed: string; lifetime: number; permissions: PermissionResult[] }
  | { ok: false; status: number; reason: string }
  | { ok: false; error: string };

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const ALLOCATE_OK = 0x0103;
const CREATE_PERMISSION = 0x0008;
const CREATE_PERMISSION_OK = 0x0108;
const ATTR = {
  username: 0x0006,
  integrity: 0x0008,
  error: 0x0009,
  lifetime: 0x000d,
  realm: 0x0014,
  nonce: 0x0015,
  peer: 0x0012,
  relayed: 0x0016,
  transport: 0x0019,
};

function attribute(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

function message(type: number, attrs: Buffer[], key?: Buffer): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(MAGIC, 4);
  randomBytes(12).copy(header, 8);
  let body = Buffer.concat(attrs);
  if (key) {
    header.writeUInt16BE(body.length + 24, 2); // the length counts MESSAGE-INTEGRITY itself
    const mac = createHmac('sha1', key)
      .update(Buffer.concat([header, body]))
      .digest();
    body = Buffer.concat([body, attribute(ATTR.integrity, mac)]);
  }
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function parse(msg: Buffer): { type: number; attrs: Map<number, Buffer> } {
  const attrs = new Map<number, Buffer>();
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2));
  for (let at = 20; at + 4 <= end; ) {
    const type = msg.readUInt16BE(at);
    const length = msg.readUInt16BE(at + 2);
    if (!attrs.has(type)) attrs.set(type, msg.subarray(at + 4, at + 4 + length));
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
  return { type: msg.readUInt16BE(0), attrs };
}

/** XOR-PEER-ADDRESS of an IPv4 peer (the port is not part of a permission: 0) */
function xorPeer(ip: string): Buffer {
  const value = Buffer.alloc(8);
  value[1] = 0x01; // IPv4
  value.writeUInt16BE(MAGIC >>> 16, 2);
  ip.split('.').forEach((octet, i) => {
    value[4 + i] = Number(octet) ^ ((MAGIC >>> (24 - 8 * i)) & 0xff);
  });
  return value;
}

function errorOf(answer: { attrs: Map<number, Buffer> }): { status: number; reason: string } | undefined {
  const error = answer.attrs.get(ATTR.error);
  return error ? { status: error[2]! * 100 + error[3]!, reason: error.subarray(4).toString() } : undefined;
}

function xorAddress(value: Buffer): string {
  const port = value.readUInt16BE(2) ^ (MAGIC >>> 16);
  const ip = [0, 1, 2, 3].map((i) => value[4 + i]! ^ ((MAGIC >>> (24 - 8 * i)) & 0xff));
  return `${ip.join('.')}:${port}`;
}

/** One request/response exchange over a connected transport. */
type Exchange = (request: Buffer) => Promise<Buffer>;

function streamExchange(socket: Socket): Exchange {
  let buffered = Buffer.alloc(0);
  const waiting: ((b: Buffer) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 20 && buffered.length >= 20 + buffered.readUInt16BE(2)) {
      const size = 20 + buffered.readUInt16BE(2);
      waiting.shift()?.(buffered.subarray(0, size));
      buffered = buffered.subarray(size);
    }
  });
  return (request) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(request);
    });
}

export async function turnAllocate(options: AllocateOptions): Promise<AllocateResult> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let close = () => {};
  const work = (async (): Promise<AllocateResult> => {
    let exchange: Exchange;
    if (options.transport === 'udp') {
      const socket = createSocket('udp4');
      close = () => socket.close();
      exchange = (request) =>
        new Promise((resolve) => {
          socket.once('message', resolve);
          socket.send(request, options.port, options.host);
        });
    } else {
      const socket =
        options.transport === 'tls'
          ? tlsConnect({ host: options.host, port: options.port, ca: options.ca, servername: options.servername ?? '' })
          : netConnect(options.port, options.host);
      close = () => socket.destroy();
      await new Promise<void>((resolve, reject) => {
        socket.once(options.transport === 'tls' ? 'secureConnect' : 'connect', resolve);
        socket.once('error', reject);
      });
      exchange = streamExchange(socket);
    }
    const transport = attribute(ATTR.transport, Buffer.from([17, 0, 0, 0]));
    const challenge = parse(await exchange(message(ALLOCATE, [transport])));
    const realm = challenge.attrs.get(ATTR.realm);
    const nonce = challenge.attrs.get(ATTR.nonce);
    if (!realm || !nonce) return { ok: false, error: 'the server sent no realm/nonce challenge' };
    const key = createHash('md5').update(`${options.username}:${realm.toString()}:${options.credential}`).digest();
    const signed = (type: number, attrs: Buffer[]) =>
      message(
        type,
        [
          ...attrs,
          attribute(ATTR.username, Buffer.from(options.username)),
          attribute(ATTR.realm, realm),
          attribute(ATTR.nonce, nonce),
        ],
        key,
      );
    const answer = parse(await exchange(signed(ALLOCATE, [transport])));
    if (answer.type === ALLOCATE_OK) {
      const relayed = answer.attrs.get(ATTR.relayed);
      const permissions: PermissionResult[] = [];
      for (const peer of options.permissions ?? []) {
        const granted = parse(await exchange(signed(CREATE_PERMISSION, [attribute(ATTR.peer, xorPeer(peer))])));
        const refused = errorOf(granted);
        if (granted.type === CREATE_PERMISSION_OK) permissions.push({ peer, status: 200 });
        else if (refused) permissions.push({ peer, ...refused });
        else return { ok: false, error: `unexpected STUN message type 0x${granted.type.toString(16)}` };
      }
      return {
        ok: true,
        relayed: relayed ? xorAddress(relayed) : '',
        lifetime: answer.attrs.get(ATTR.lifetime)?.readUInt32BE(0) ?? 0,
        permissions,
      };
    }
    const error = errorOf(answer);
    if (!error) return { ok: false, error: `unexpected STUN message type 0x${answer.type.toString(16)}` };
    return { ok: false, ...error };
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AllocateResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      work.catch((err: NodeJS.ErrnoException) => ({ ok: false as const, error: err.code ?? err.message })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    close();
  }
}
