import { WebSocket } from 'ws';

/**
 * Pings the peer every `intervalMs`; if no pong arrives within `timeoutMs`, the peer is dead
 * (a half-open TCP connection, a paused process) and `onDead` runs. Transport timers use the
 * real clock on purpose: a shifted application clock must not kill healthy sockets.
 */
export function startHeartbeat(
  socket: WebSocket,
  options: { intervalMs: number; timeoutMs: number },
  onDead: () => void,
): () => void {
  let deadline: NodeJS.Timeout | undefined;
  const interval = setInterval(() => {
    // ping() throws on a socket that is closing; its close handshake has its own timeout
    if (deadline || socket.readyState !== WebSocket.OPEN) return;
    socket.ping();
    deadline = setTimeout(onDead, options.timeoutMs);
  }, options.intervalMs);
  const onPong = () => {
    clearTimeout(deadline);
    deadline = undefined;
  };
  socket.on('pong', onPong);
  return () => {
    clearInterval(interval);
    clearTimeout(deadline);
    socket.off('pong', onPong);
  };
}
