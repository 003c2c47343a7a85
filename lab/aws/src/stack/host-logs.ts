/**
 * A lab host's component logs on a deployed stack, from CloudWatch Logs: every service of an
 * instance writes JSON lines to a stream `<instance id>/<service>` of the stack's component log
 * group (the CloudWatch agent the start-up script installs ships them). The host is found by its
 * tags, as for every other command, so a replaced instance's logs are the new one's.
 */
import { DescribeLogStreamsCommand, type FilteredLogEvent, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import { AwsApiError } from '../errors.ts';
import type { AwsClients } from '../ssm/clients.ts';
import { InstanceDirectory } from '../ssm/instances.ts';

export interface HostLogLine {
  /** the service that wrote it (the stream's name after the instance id) */
  service: string;
  /** when CloudWatch received it, ms since the epoch */
  timestamp: number;
  message: string;
}

/** The last `lines` log lines of a host's services, oldest first. */
export async function readHostLogs(options: {
  clients: AwsClients;
  outputs: StackOutputs;
  hostId: string;
  lines: number;
}): Promise<HostLogLine[]> {
  const { clients, outputs } = options;
  const { instanceId } = await new InstanceDirectory(clients.ec2, outputs.stack).resolve(options.hostId);
  const where = `${outputs.logGroups.components}, streams of ${options.hostId} (${instanceId})`;
  const events: FilteredLogEvent[] = [];
  try {
    // the host's streams by name first, then their events: one call per stream list of up to 100
    const streams: string[] = [];
    let token: string | undefined;
    do {
      const page = await clients.logs.send(
        new DescribeLogStreamsCommand({
          logGroupName: outputs.logGroups.components,
          logStreamNamePrefix: `${instanceId}/`,
          ...(token ? { nextToken: token } : {}),
        }),
      );
      streams.push(...(page.logStreams ?? []).flatMap((s) => (s.logStreamName ? [s.logStreamName] : [])));
      token = page.nextToken;
    } while (token);
    for (let i = 0; i < streams.length; i += 100) {
      let next: string | undefined;
      do {
        const page = await clients.logs.send(
          new FilterLogEventsCommand({
            logGroupName: outputs.logGroups.components,
            logStreamNames: streams.slice(i, i + 100),
            ...(next ? { nextToken: next } : {}),
          }),
        );
        events.push(...(page.events ?? []));
        next = page.nextToken;
      } while (next);
    }
  } catch (err) {
    throw new AwsApiError('CloudWatch Logs DescribeLogStreams/FilterLogEvents', where, err);
  }
  return events
    .map((e) => ({
      service: (e.logStreamName ?? '').slice(instanceId.length + 1),
      timestamp: e.timestamp ?? 0,
      message: e.message ?? '',
    }))
    .sort((a, b) => a.timestamp - b.timestamp)
    .slice(-options.lines);
}
