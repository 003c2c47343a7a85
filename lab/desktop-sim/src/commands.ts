/**
 * What each serve-mode command does. Which commands exist, their arguments and their results are
 * defined in lab/protocol (DESKTOP_COMMANDS); this is only the implementation, one `run` per name.
 * Arguments are validated with the table before anything runs, so a bad line is answered, never
 * executed; each `run` must return what the table's result schema accepts.
 */
import type { DesktopCommandName, DesktopCommandParsedArgs, DesktopCommandResultInput } from '@multiclaw-lab/protocol';
import type { DesktopApp } from './app.ts';

export type CommandRun<K extends DesktopCommandName> = (
  app: DesktopApp,
  args: DesktopCommandParsedArgs<K>,
) => Promise<DesktopCommandResultInput<K>>;

export const COMMANDS = {
  status: async (app) => ({
    state: app.state,
    signedIn: app.signedIn,
    user: app.user ?? null,
    version: await app.currentVersion(),
  }),
  signIn: (app, a) => app.signIn(a.email, a.password),
  signOut: (app) => app.signOut(),
  changePassword: async (app, a) => {
    await app.changePassword(a.currentPassword, a.newPassword);
    return {};
  },
  me: (app) => app.me(),
  connect: (app) => app.connect(),
  disconnect: async (app) => {
    await app.disconnect();
    return { state: app.state };
  },
  createWorkspace: (app, a) => app.createWorkspace(a.name),
  listMembers: (app, a) => app.listMembers(a.workspaceId),
  inviteMember: (app, a) => app.inviteMember(a.workspaceId, a.email, a.role),
  listInvitations: (app) => app.listInvitations(),
  acceptInvitation: (app, a) => app.acceptInvitation(a.invitationId),
  removeMember: async (app, a) => {
    await app.removeMember(a.workspaceId, a.userId);
    return {};
  },
  forceSignOut: async (app, a) => {
    await app.forceSignOut(a.workspaceId, a.userId);
    return {};
  },
  createAgent: (app, { workspaceId, ...agent }) => app.createAgent(workspaceId, agent),
  listAgents: (app, a) => app.listAgents(a.workspaceId),
  setAgentKey: (app, a) => app.setAgentKey(a.workspaceId, a.agentId, a.apiKey),
  deleteAgentKey: (app, a) => app.deleteAgentKey(a.workspaceId, a.agentId),
  listInstances: (app, a) => app.listInstances(a.workspaceId),
  grantViewer: async (app, a) => {
    await app.grantViewer(a.workspaceId, a.instanceId, a.userId);
    return {};
  },
  taskStatuses: (app, a) => app.taskStatuses(a.workspaceId, a.taskId),
  transcript: (app, a) => app.transcript(a.workspaceId, a.conversationId),
  linkGateway: (app, a) => app.linkGateway(a.workspaceId, a.deviceName),
  unlinkGateway: async (app) => {
    await app.unlinkGateway();
    return {};
  },
  gatewayStatus: (app) => app.gatewayStatus(),
  startTask: (app, a) => app.startTask(a),
  getTask: (app, a) => app.getTask(a.taskId),
  listConversations: (app) => app.listConversations(),
  getConversation: (app, a) => app.getConversation(a.conversationId),
  checkForUpdate: (app) => app.checkForUpdate(),
  viewDesktop: async (app, a) => {
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
  sendSignal: (app, a) => app.sendRawSignal(a.frame, a.waitMs),
  /** Throws on the next turn of the event loop, as a bug would, so the crash handler can be observed. */
  crash: async (_app, a) => {
    setImmediate(() => {
      throw new Error(a.message);
    });
    return { crashing: true };
  },
} satisfies { [K in DesktopCommandName]: CommandRun<K> };

export type CommandName = DesktopCommandName;
