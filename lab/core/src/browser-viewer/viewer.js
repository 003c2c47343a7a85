// The cloud desktop viewer as a web page (what the WebView client does), in plain browser
// JavaScript: no bundler, no imports. Settings come in the URL fragment — never the query, which
// servers log — and the fragment is wiped at once so the bearer does not stay in the address.
//   #cloud=https://api.multiclaw.test&bearer=mcb_…&instance=ins_…&mode=auto|turn-relay
//    [&directTimeoutMs=4000][&connectTimeoutMs=30000]
// The harness reads window.viewerState; a person reads the same facts on the page.

const LABEL = 'screen'; // the DataChannel label the cloud desktop serves (protocol SCREEN_CHANNEL_LABEL)
const SUBPROTOCOL = 'multiclaw.v1';
const TOKEN_PREFIX = 'token.';

const params = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, '', location.pathname);

const state = {
  state: 'starting',
  frames: 0,
  bytes: 0,
  /** performance.now() of the first and the latest frame, for rates */
  firstFrameAt: null,
  lastFrameAt: null,
  pair: null,
  /** from the first offer to the open DataChannel (auto: a failed direct attempt included) */
  connectMs: null,
  /** the session that connected (the cloud and the desktop log it) */
  sessionId: null,
  attempt: null,
  failedAttempts: [],
  inputSent: false,
  error: null,
};
window.viewerState = state;

const el = (id) => document.getElementById(id);
const canvas = el('screen');
const g = canvas.getContext('2d');

function show() {
  el('state').textContent = state.state;
  el('frames').textContent = String(state.frames);
  el('pair').textContent = state.pair
    ? `${state.pair.local}${state.pair.relayProtocol ? ` (${state.pair.relayProtocol})` : ''} → ${state.pair.remote}`
    : '–';
  el('error').textContent = state.error ?? '–';
}

function setState(next) {
  state.state = next;
  console.info(`viewer: ${next}`);
  show();
}

/** The one URL of a kind out of the cloud's list (same rules as protocol pickStunUrl / pickTurnUrl). */
function pickUrl(urls, kind) {
  const transportOf = (url) => {
    const m = /^(turns?):[^?]+(?:\?transport=(udp|tcp))?$/i.exec(url.trim());
    if (!m) return undefined;
    if (m[1].toLowerCase() === 'turns') return 'tls';
    return m[2]?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  };
  if (kind === 'stun') return urls.find((u) => /^stun:[^?]+$/i.test(u.trim()));
  return urls.find((u) => transportOf(u) === kind);
}

async function cloudJson(cloud, bearer, method, path, body) {
  const response = await fetch(new URL(path, cloud), {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered HTTP ${response.status}`);
  return response.json();
}

/** The user WSS, authenticated with a fresh single-use token in the subprotocol list. */
async function openSignalling(cloud, bearer) {
  const minted = await cloudJson(cloud, bearer, 'POST', '/v1/realtime/token', { channel: 'user' });
  const url = new URL(minted.path, cloud);
  url.protocol = 'wss:';
  const ws = new WebSocket(url, [SUBPROTOCOL, TOKEN_PREFIX + minted.token]);
  const listeners = new Set();
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return;
    let frame;
    try {
      frame = JSON.parse(e.data);
    } catch {
      return;
    }
    for (const l of listeners) l(frame);
  });
  await new Promise((resolve, reject) => {
    const onWelcome = (frame) => {
      if (frame.type !== 'welcome') return;
      listeners.delete(onWelcome);
      resolve();
    };
    listeners.add(onWelcome);
    ws.addEventListener('close', (e) => reject(new Error(`the cloud closed the WSS (${e.code} ${e.reason})`)), { once: true });
  });
  ws.addEventListener('close', (e) => console.warn(`viewer: WSS closed ${e.code} ${e.reason}`));
  return {
    send: (frame) => ws.send(JSON.stringify(frame)),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => ws.close(1000, 'viewer closed'),
  };
}

/** The path ICE chose: the selected pair's two candidate types, and how a relay candidate reaches its TURN server. */
async function selectedPair(pc) {
  const stats = await pc.getStats();
  let pair;
  for (const s of stats.values())
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  if (!pair) for (const s of stats.values()) if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    local: local?.candidateType ?? null,
    remote: remote?.candidateType ?? null,
    protocol: local?.protocol ?? null,
    relayProtocol: local?.candidateType === 'relay' ? (local.relayProtocol ?? null) : null,
    localAddress: local?.address ?? null,
    remoteAddress: remote?.address ?? null,
  };
}

/** One viewing session (one sessionId, one RTCPeerConnection); resolves with the open channel. */
function openSession(signalling, instanceId, ice, timeoutMs) {
  const sessionId = crypto.randomUUID();
  const pc = new RTCPeerConnection({ iceServers: ice.servers, iceTransportPolicy: ice.policy });
  const channel = pc.createDataChannel(LABEL);
  channel.binaryType = 'arraybuffer';
  let offerSent = false;
  let remoteSet = false;
  const heldLocal = [];
  const heldRemote = [];
  let fail = () => {};

  pc.addEventListener('icecandidate', (e) => {
    if (!e.candidate?.candidate) return;
    const frame = {
      type: 'rtc.candidate',
      sessionId,
      candidate: { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex },
    };
    if (offerSent) signalling.send(frame);
    else heldLocal.push(frame);
  });
  // the desktop may trickle candidates before its answer arrives: a browser refuses them until then
  const addRemote = (c) =>
    pc
      .addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null })
      .catch((err) => console.warn(`viewer: candidate refused: ${err.message}`));
  const unsubscribe = signalling.subscribe(async (frame) => {
    if (frame.sessionId !== sessionId) return;
    if (frame.type === 'rtc.answer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: frame.sdp });
      remoteSet = true;
      for (const c of heldRemote.splice(0)) await addRemote(c);
    } else if (frame.type === 'rtc.candidate') {
      if (remoteSet) await addRemote(frame.candidate);
      else heldRemote.push(frame.candidate);
    } else if (frame.type === 'rtc.close') {
      fail(new Error(`the cloud desktop ended the session: ${frame.reason}`));
    }
  });
  const close = (reason) => {
    unsubscribe();
    if (offerSent) signalling.send({ type: 'rtc.close', sessionId, reason });
    pc.close();
  };
  const opened = new Promise((resolve, reject) => {
    fail = reject;
    channel.addEventListener('open', () => resolve(), { once: true });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed') reject(new Error('no ICE candidate pair worked'));
    });
    setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
  });
  return (async () => {
    try {
      await pc.setLocalDescription(await pc.createOffer());
      signalling.send({ type: 'rtc.offer', sessionId, instanceId, sdp: pc.localDescription.sdp });
      offerSent = true;
      for (const f of heldLocal.splice(0)) signalling.send(f);
      await opened;
      return { sessionId, pc, channel, close };
    } catch (err) {
      close(err.message.slice(0, 200));
      throw err;
    }
  })();
}

/** auto: STUN only first (direct), then TURN/UDP; turn-relay: relay only over TURN/TLS on 443. */
function attemptsFor(mode, turn, connectTimeoutMs, directTimeoutMs) {
  const creds = { username: turn.username, credential: turn.credential };
  if (mode === 'turn-relay') {
    const url = pickUrl(turn.urls, 'tls');
    if (!url) throw new Error(`the cloud offers no turns: URL (${turn.urls.join(', ')})`);
    return [{ kind: 'relay', servers: [{ urls: url, ...creds }], policy: 'relay', timeoutMs: connectTimeoutMs }];
  }
  if (mode !== 'auto') throw new Error(`mode must be auto or turn-relay, not ${mode}`);
  const udp = pickUrl(turn.urls, 'udp');
  const stun = pickUrl(turn.urls, 'stun');
  const attempts = [];
  if (stun) attempts.push({ kind: 'direct', servers: [{ urls: stun }], policy: 'all', timeoutMs: directTimeoutMs });
  if (udp) attempts.push({ kind: 'relay', servers: [{ urls: udp, ...creds }], policy: 'all', timeoutMs: connectTimeoutMs });
  if (attempts.length === 0) throw new Error(`the cloud offers neither a stun: nor a UDP turn: URL (${turn.urls.join(', ')})`);
  return attempts;
}

function draw(data) {
  state.frames += 1;
  state.bytes += data.byteLength;
  const now = performance.now();
  state.firstFrameAt ??= now;
  state.lastFrameAt = now;
  createImageBitmap(new Blob([data], { type: 'image/jpeg' })).then(
    (bitmap) => {
      g.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
    },
    (err) => console.warn(`viewer: a frame did not decode: ${err.message}`),
  );
  show();
}

async function main() {
  const cloud = params.get('cloud');
  const bearer = params.get('bearer');
  const instanceId = params.get('instance');
  const mode = params.get('mode') ?? 'auto';
  const connectTimeoutMs = Number(params.get('connectTimeoutMs') ?? 30_000);
  const directTimeoutMs = Number(params.get('directTimeoutMs') ?? 4_000);
  if (!cloud || !bearer || !instanceId) throw new Error('the fragment needs cloud, bearer and instance');

  setState('signalling');
  const signalling = await openSignalling(cloud, bearer);
  const turn = await cloudJson(cloud, bearer, 'GET', '/v1/turn/credentials');
  setState('connecting');
  const started = performance.now();
  let session;
  for (const attempt of attemptsFor(mode, turn, connectTimeoutMs, directTimeoutMs)) {
    try {
      session = await openSession(signalling, instanceId, attempt, attempt.timeoutMs);
      state.attempt = attempt.kind;
      state.sessionId = session.sessionId;
      break;
    } catch (err) {
      state.failedAttempts.push({ attempt: attempt.kind, error: err.message });
      console.warn(`viewer: ${attempt.kind} attempt failed: ${err.message}`);
    }
  }
  if (!session)
    throw new Error(`no attempt connected: ${state.failedAttempts.map((a) => `${a.attempt}: ${a.error}`).join('; ')}`);
  state.connectMs = Math.round(performance.now() - started);
  session.channel.addEventListener('message', (e) => {
    if (typeof e.data === 'string') return; // the desktop sends frames as binary only
    draw(e.data);
    if (!state.inputSent) {
      // one input event, as a click on the picture would send
      session.channel.send(JSON.stringify({ type: 'pointer', x: 10, y: 20, buttons: 1 }));
      state.inputSent = true;
    }
  });
  state.pair = await selectedPair(session.pc);
  setState('connected');
  window.viewerClose = () => {
    session.close('viewer closed');
    signalling.close();
    setState('closed');
  };
}

main().catch((err) => {
  state.error = err instanceof Error ? err.message : String(err);
  setState('failed');
});
