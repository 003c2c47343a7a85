import { buildTopology, hostById } from '@multiclaw-lab/network';
import { describe, expect, it } from 'vitest';
import { hostSetupScript, READY_LINE } from './host-setup.ts';

const topology = buildTopology();

describe('a host container’s set-up script', () => {
  it('renames every interface to its topology name through a temporary name, found by its address', () => {
    const script = hostSetupScript(topology, hostById(topology, 'cloud'));
    expect(script).toContain("ip -o -4 addr show to 198.18.0.10 | sed -n 's/^[0-9]*: \\([^ @]*\\).*/\\1/p'");
    // all to temporary names first: Docker's eth1 may have to become eth0 while eth0 exists
    const firstFinal = script.indexOf('name eth0');
    expect(script.lastIndexOf('name lab-if1')).toBeLessThan(firstFinal);
    expect(script).toContain('ip link set lab-if1 name eth1');
  });

  it('gives a site host its router as default route, and an internet host none', () => {
    expect(hostSetupScript(topology, hostById(topology, 's1-d1'))).toContain('ip route add default via 198.19.1.1');
    const cloud = hostSetupScript(topology, hostById(topology, 'cloud'));
    expect(cloud).toContain('ip route del default');
    expect(cloud).not.toContain('ip route add default');
  });

  it("loads the router's NAT and firewall table on routers only, and ends with the ready line", () => {
    const router = hostSetupScript(topology, hostById(topology, 's1-rtr'));
    expect(router).toMatch(/nft -f - <<'RULES'\ntable ip lab_router \{[\s\S]*masquerade[\s\S]*\}\nRULES\n/);
    expect(router.trimEnd().endsWith(`echo '${READY_LINE}'`)).toBe(true);
    expect(hostSetupScript(topology, hostById(topology, 's1-nb'))).not.toContain('nft');
  });
});
