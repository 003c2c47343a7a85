/**
 * Log shipping as the start-up script renders it, per role: the CloudWatch agent's configuration
 * names exactly the files the units write (one per service, the stack's log group, a stream per
 * instance and service), the agent is installed from the regional package before the services
 * start, and a role with no service gets no agent at all.
 */

import { describe, expect, it } from 'vitest';
import { INSTANCE_ROLES } from '../outputs.ts';
import { CLOUDWATCH_AGENT_CONFIG, cloudwatchAgentConfig, renderStartupScript, type StartupConfig } from './index.ts';
import { ROLE_PLANS } from './roles.ts';
import { LOG_GROUP, startupConfig } from './testing/startup-config.ts';
import { unitFile } from './units.ts';

const config = startupConfig;

/** The JSON the script writes to the agent's configuration file (the here-document's body). */
function writtenConfig(script: string): unknown {
  const match = new RegExp(
    `^write_file ${CLOUDWATCH_AGENT_CONFIG} 0644 root:root <<'MULTICLAW_CWAGENT_EOF'\\n([\\s\\S]*?)\\nMULTICLAW_CWAGENT_EOF$`,
    'm',
  ).exec(script);
  return match ? JSON.parse(match[1]!) : undefined;
}

const serving = INSTANCE_ROLES.filter((role) => ROLE_PLANS[role].services.length > 0);

describe.each(serving)('the %s script ships its services’ logs', (role) => {
  const script = renderStartupScript(config(role));
  const services = ROLE_PLANS[role].services;

  it('configures the agent with one entry per service: its log file, the stack’s group, a stream per instance', () => {
    expect(writtenConfig(script)).toEqual({
      logs: {
        logs_collected: {
          files: {
            collect_list: services.map((s) => ({
              file_path: `/var/log/multiclaw-lab/${s.name}.log`,
              log_group_name: LOG_GROUP,
              log_stream_name: `{instance_id}/${s.name}`,
            })),
          },
        },
      },
    });
    expect(writtenConfig(script)).toEqual(cloudwatchAgentConfig(services, LOG_GROUP));
  });

  it('reads the file its unit writes the service’s output to', () => {
    for (const service of services) {
      const unit = unitFile(service);
      expect(unit).toContain(`\nStandardOutput=append:/var/log/multiclaw-lab/${service.name}.log\n`);
      expect(unit).toContain('\nStandardError=inherit\n');
    }
  });

  it('installs the agent from the regional Debian package after the SSM agent and starts it before any service', () => {
    const lines = script.split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    expect(lines[at('ensure_cloudwatch_agent ')]).toBe(
      "ensure_cloudwatch_agent 'https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/debian/amd64/latest/amazon-cloudwatch-agent.deb' ''",
    );
    expect(lines[at('start_cloudwatch_agent ')]).toBe(
      `start_cloudwatch_agent ${CLOUDWATCH_AGENT_CONFIG} "$CHANGED" '${LOG_GROUP}'`,
    );
    expect(at('ensure_ssm_agent ')).toBeLessThan(at('ensure_cloudwatch_agent '));
    expect(at('ensure_cloudwatch_agent ')).toBeLessThan(at(`write_file ${CLOUDWATCH_AGENT_CONFIG} `));
    expect(at(`write_file ${CLOUDWATCH_AGENT_CONFIG} `)).toBeLessThan(at('start_cloudwatch_agent '));
    expect(at('start_cloudwatch_agent ')).toBeLessThan(at('start_service '));
  });

  it('no longer claims the logs stay in the journal', () => {
    expect(script).not.toContain('logs.journald');
  });
});

describe('a role that runs no service (the neighbour)', () => {
  const script = renderStartupScript(config('neighbour'));

  it('gets no agent and no configuration, and says why', () => {
    expect(cloudwatchAgentConfig([], LOG_GROUP)).toBeUndefined();
    expect(script).not.toMatch(/^(ensure_cloudwatch_agent|start_cloudwatch_agent) /m);
    expect(writtenConfig(script)).toBeUndefined();
    expect(script).toContain(`log logs.none '"logGroup":"${LOG_GROUP}","reason":"the role runs no service: nothing to ship"'`);
  });
});

describe('the CloudWatch agent source', () => {
  it('is the configured URL, pinned when a digest is given', () => {
    const url = 'https://mcl-artifacts.s3.eu-west-1.amazonaws.com/agents/amazon-cloudwatch-agent.deb';
    const script = renderStartupScript(config('llm', { cloudwatchAgent: { url, sha256: 'c3'.repeat(32) } }));
    expect(script).toContain(`\nensure_cloudwatch_agent '${url}' '${'c3'.repeat(32)}'\n`);
  });

  it('refuses a URL that is not a .deb over http(s), a digest that is not hex SHA-256, and a bad group name', () => {
    const render = (extra: Partial<StartupConfig>) => () => renderStartupScript(config('desktop', extra));
    expect(render({ cloudwatchAgent: { url: "https://x.test/a.deb'; reboot; '" } })).toThrow(/cloudwatchAgent\.url/);
    expect(render({ cloudwatchAgent: { url: 'ftp://x.test/a.deb' } })).toThrow(/not an http\(s\) URL of a \.deb/);
    expect(render({ cloudwatchAgent: { sha256: 'abc' } })).toThrow(/cloudwatchAgent\.sha256 must be the hex SHA-256/);
    expect(render({ logGroup: "/x'; reboot; '" })).toThrow(/not a CloudWatch Logs group name/);
  });
});
