/**
 * The services' logs into CloudWatch Logs: each service's JSON lines go to its own file
 * (units.ts, serviceLogPath), and the Amazon CloudWatch agent, the AWS-supported way to ship
 * files from EC2, sends every line of them to the stack's component log group, one stream per
 * instance and service. Installed from its .deb like the SSM agent (Debian's AMIs carry neither).
 *
 * The agent's configuration follows the CloudWatch User Guide, "Manually create or edit the
 * CloudWatch agent configuration file"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html):
 * logs.logs_collected.files.collect_list entries with file_path, log_group_name and
 * log_stream_name ({instance_id} is filled in by the agent). It is loaded and the agent started
 * as that guide's "Starting the CloudWatch agent" shows for an EC2 instance:
 * `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -c file:PATH -s`.
 */
import { type DebSource, debSource } from './platform.ts';
import type { ServiceSpec } from './roles.ts';
import { heredoc, StartupConfigError, serviceLogPath } from './units.ts';

/**
 * The agent's Debian amd64 package in the instance's own region, as AWS publishes it: the
 * CloudWatch User Guide, "Download and install the CloudWatch agent package using the command
 * line" and "Verifying the signature of the CloudWatch agent package"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/verify-CloudWatch-Agent-Package-Signature.html),
 * list `https://amazoncloudwatch-agent-region.s3.region.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb`
 * for Debian on x86-64. Regional, so a private subnet fetches it through the VPC's S3 gateway endpoint.
 */
export function cloudwatchAgentDebUrl(region: string): string {
  return `https://amazoncloudwatch-agent-${region}.s3.${region}.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb`;
}

/** Where the package puts the agent, and where its configuration from this script goes. */
export const CLOUDWATCH_AGENT_HOME = '/opt/aws/amazon-cloudwatch-agent';
export const CLOUDWATCH_AGENT_CONFIG = `${CLOUDWATCH_AGENT_HOME}/etc/multiclaw-lab.json`;

export interface CollectedFile {
  file_path: string;
  log_group_name: string;
  log_stream_name: string;
}

export interface CloudwatchAgentConfig {
  logs: { logs_collected: { files: { collect_list: CollectedFile[] } } };
}

/** CloudWatch Logs' own rule for a log group name. */
const LOG_GROUP_NAME = /^[A-Za-z0-9._/#-]{1,512}$/;

/**
 * The agent's configuration for a role's services, or undefined when the role runs none (the
 * neighbour): the agent refuses an empty collect_list, and with nothing to ship it is not
 * installed at all.
 *
 * Deliberately absent: timestamp_format, so the agent stamps each event with the time it reads
 * the line. The services follow the instance's lab clock, which clock scenarios move by days;
 * CloudWatch Logs refuses events stamped more than 2 hours ahead or older than the retention,
 * and the line keeps its own `time` anyway. retention_in_days, because the stack owns the
 * group's retention (the instance role may not change it). No credentials: the agent uses the
 * instance role (-m ec2).
 */
export function cloudwatchAgentConfig(services: readonly ServiceSpec[], logGroup: string): CloudwatchAgentConfig | undefined {
  if (!LOG_GROUP_NAME.test(logGroup))
    throw new StartupConfigError(`logGroup "${logGroup}" is not a CloudWatch Logs group name (letters, digits, . _ / # -)`);
  if (services.length === 0) return undefined;
  return {
    logs: {
      logs_collected: {
        files: {
          collect_list: services.map((service) => ({
            file_path: serviceLogPath(service),
            log_group_name: logGroup,
            log_stream_name: `{instance_id}/${service.name}`,
          })),
        },
      },
    },
  };
}

/**
 * The step that installs the agent when missing, writes its configuration and starts it with
 * systemd (lib.sh's ensure_cloudwatch_agent and start_cloudwatch_agent). Placed before the
 * services start, so a service that fails at boot has its lines shipped too (the agent waits for
 * files that do not exist yet and reads new ones from their beginning).
 */
export function logShippingStep(
  region: string,
  services: readonly ServiceSpec[],
  logGroup: string,
  source: DebSource = {},
): string[] {
  const config = cloudwatchAgentConfig(services, logGroup);
  if (!config)
    return ['step logs', `log logs.none '"logGroup":"${logGroup}","reason":"the role runs no service: nothing to ship"'`];
  const { url, sha256 } = debSource('cloudwatchAgent', source, cloudwatchAgentDebUrl(region));
  return [
    'step cloudwatch-agent',
    `ensure_cloudwatch_agent ${url} ${sha256}`,
    'CHANGED=0',
    `install -d -m 0755 ${CLOUDWATCH_AGENT_HOME}/etc`,
    `write_file ${CLOUDWATCH_AGENT_CONFIG} 0644 root:root ${heredoc(`${JSON.stringify(config, null, 2)}\n`, 'CWAGENT')}`,
    `start_cloudwatch_agent ${CLOUDWATCH_AGENT_CONFIG} "$CHANGED" '${logGroup}'`,
  ];
}
