import { Role, StartTaskRequest } from '@multiclaw-lab/protocol';
import { z } from 'zod';
import type { DesktopApp } from './app.ts';

/**
 * The commands serve mode accepts on stdin, one per name: an argument schema and what it runs.
 * Arguments are validated before anything happens, so a bad line is answered, never executed.
 */
interface Command<S extends z.ZodType> {
  args: S;
  run(app: DesktopApp, args: z.infer<S>): Promise<unknown>;
}

function command<S extends z.ZodType>(args: S, run: (app: DesktopApp, args: z.infer<S>) => Promise<unknown>): Command<S> {
  return { args, run };
}

const none = z.object({}).strict();
const wid = z.string().min(1);

export const COMMANDS = {
  status: command(none, async (app) => ({
    state: app.state,
    signedIn: app.signedIn,
    user: app.user ?? null,
    version: await app.currentVersion(),
  })),
  signIn: command(z.object({ email: z.string(), password: z.string() }), (app, a) => app.signIn(a.email, a.password)),
  signOut: command(none, (app) => app.signOut()),
  changePassword: command(z.object({ currentPassword: z.string(), newPassword: z.string() }), async (app, a) => {
    await app.changePassword(a.currentPassword, a.newPassword);
    return {};
  }),
  me: command(none, (app) => app.me()),
  connect: command(none, (app) => app.connect()),
  disconnect: command(none, async (app) => {
    await app.disconnect();
    return { state: app.state };
  }),
  createWorkspace: command(z.object({ name: z.string() }), (app, a) => app.createWorkspace(a.name)),
  listMembers: command(z.object({ workspaceId: wid }), (app, a) => app.listMembers(a.workspaceId)),
  addMember: command(z.object({ workspaceId: wid, email: z.string(), role: Role.default('member') }), (app, a) =>
    app.addMember(a.workspaceId, a.email, a.role),
  ),
  removeMember: command(z.object({ workspaceId: wid, userId: z.string().min(1) }), async (app, a) => {
    await app.removeMember(a.workspaceId, a.userId);
    return {};
  }),
  forceSignOut: command(z.object({ workspaceId: wid, userId: z.string().min(1) }), async (app, a) => {
    await app.forceSignOut(a.workspaceId, a.userId);
    return {};
  }),
  createAgent: command(
    z.object({ workspaceId: wid, name: z.string(), provider: z.string(), model: z.string(), baseUrl: z.string() }),
    (app, { workspaceId, ...agent }) => app.createAgent(workspaceId, agent),
  ),
  listAgents: command(z.object({ workspaceId: wid }), (app, a) => app.listAgents(a.workspaceId)),
  setAgentKey: command(z.object({ workspaceId: wid, agentId: z.string().min(1), apiKey: z.string() }), (app, a) =>
    app.setAgentKey(a.workspaceId, a.agentId, a.apiKey),
  ),
  deleteAgentKey: command(z.object({ workspaceId: wid, agentId: z.string().min(1) }), (app, a) =>
    app.deleteAgentKey(a.workspaceId, a.agentId),
  ),
  listInstances: command(z.object({ workspaceId: wid }), (app, a) => app.listInstances(a.workspaceId)),
  grantViewer: command(
    z.object({ workspaceId: wid, instanceId: z.string().min(1), userId: z.string().min(1) }),
    async (app, a) => {
      await app.grantViewer(a.workspaceId, a.instanceId, a.userId);
      return {};
    },
  ),
  taskStatuses: command(z.object({ workspaceId: wid, taskId: z.string().min(1) }), (app, a) =>
    app.taskStatuses(a.workspaceId, a.taskId),
  ),
  transcript: command(z.object({ workspaceId: wid, conversationId: z.string().min(1) }), (app, a) =>
    app.transcript(a.workspaceId, a.conversationId),
  ),
  linkGateway: command(z.object({ workspaceId: wid, deviceName: z.string().min(1).optional() }), (app, a) =>
    app.linkGateway(a.workspaceId, a.deviceName),
  ),
  unlinkGateway: command(none, async (app) => {
    await app.unlinkGateway();
    return {};
  }),
  gatewayStatus: command(none, (app) => app.gatewayStatus()),
  startTask: command(StartTaskRequest, (app, a) => app.startTask(a)),
  getTask: command(z.object({ taskId: z.string().min(1) }), (app, a) => app.getTask(a.taskId)),
  listConversations: command(none, (app) => app.listConversations()),
  getConversation: command(z.object({ conversationId: z.string().min(1) }), (app, a) => app.getConversation(a.conversationId)),
  checkForUpdate: command(none, (app) => app.checkForUpdate()),
  /**
   * Views a cloud desktop over WebRTC: connects, waits for `frames` frames, sends one input event,
   * closes, and reports what happened (for the harness; the real app keeps drawing).
   */
  viewDesktop: command(
    z
      .object({
        instanceId: z.string().min(1),
        mode: z.enum(['auto', 'turn-relay']).default('auto'),
        frames: z.number().int().min(1).max(1000).default(10),
        timeoutMs: z.number().int().min(100).max(300_000).default(15_000),
        /** mode auto: the bound of the direct attempt before the relay is tried */
        directTimeoutMs: z.number().int().min(100).max(300_000).optional(),
      })
      .strict(),
    async (app, a) => {
      const session = await app.viewCloudDesktop(a.instanceId, {
        mode: a.mode,
        timeoutMs: a.timeoutMs,
        ...(a.directTimeoutMs ? { directTimeoutMs: a.directTimeoutMs } : {}),
      });
      try {
        // the input goes out first: sent just before close, it was lost with the closing connection
        session.sendInput({ type: 'pointer', x: 1, y: 1, buttons: 0 });
        const waitStart = performance.now();
        const startCount = session.frames.count;
        const stats = await session.waitForFrames(a.frames, a.timeoutMs);
        const seconds = (performance.now() - waitStart) / 1000;
        return {
          sessionId: session.sessionId,
          mode: a.mode,
          connectMs: session.connectMs,
          attempt: session.attempt,
          failedAttempts: session.failedAttempts,
          firstFrameMs: stats.firstFrameMs,
          pair: session.pair,
          frames: stats.count,
          bytes: stats.bytes,
          sha256: stats.sha256.slice(0, a.frames),
          framesPerSecond: seconds > 0 ? Math.round(((stats.count - startCount) / seconds) * 10) / 10 : undefined,
        };
      } finally {
        await session.close('viewing finished');
      }
    },
  ),
  /** Test hook: one raw signalling frame over the user WSS (candidate-injection scenarios). */
  sendSignal: command(
    z
      .object({
        frame: z.object({ type: z.string().regex(/^rtc\./) }).passthrough(),
        waitMs: z.number().int().min(100).max(10_000).default(3_000),
      })
      .strict(),
    (app, a) => app.sendRawSignal(a.frame, a.waitMs),
  ),
  /**
   * Test hook (not a feature of the real app): throws an uncaught error on the next turn of the
   * event loop, as a bug would, so the crash handler's behaviour can be observed.
   */
  crash: command(z.object({ message: z.string().max(500).default('simulated crash (test hook)') }).strict(), async (_app, a) => {
    setImmediate(() => {
      throw new Error(a.message);
    });
    return { crashing: true };
  }),
} satisfies Record<string, Command<z.ZodType>>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}
