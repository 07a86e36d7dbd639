/**
 * Two directors with lvs_sync_daemon in one UML guest (real IPVS kernel): the kernel's sync
 * daemon runs as master on the MASTER director and as backup on the BACKUP one, so the
 * connections the master forwards are known to the backup. A long-lived client connection
 * through the VIP, sending a line every 100 ms to an echo service on the real servers, keeps
 * working across a director failover (the master director stops; the backup takes the VIP and
 * forwards the established connection to the same real server).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, IPVS_MODULES, REPO_ROOT, type UmlGuest, umlSkipReason } from '../../helpers/uml.js';
import { ensureDist } from '../../helpers/dist.js';

const skip = umlSkipReason();
if (skip) console.warn(`[lvs/sync-failover.test] SKIPPED: ${skip}`);

const LAB = join(REPO_ROOT, 'test/fixtures/lvs/lab.sh');
const VIP = '192.168.23.20';

const conf = (name: string, state: string, priority: number) => `global_defs {
  router_id ${name}
  lvs_sync_daemon eth0 VI_1
}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass 1111
  }
  virtual_ipaddress {
    ${VIP}/24 dev eth0
  }
}
virtual_server ${VIP} 7 {
  delay_loop 3
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 192.168.23.134 7 {
  }
  real_server 192.168.23.135 7 {
  }
}
`;

/** ECHO answers each line with the real server's name and the line. */
const ECHO = (name: string) =>
  `require('net').createServer((s) => { s.setEncoding('utf8'); let b = ''; s.on('data', (d) => { b += d; let i; while ((i = b.indexOf('\\n')) >= 0) { s.write('${name} ' + b.slice(0, i) + '\\n'); b = b.slice(i + 1); } }); s.on('error', () => {}); }).listen(7, '0.0.0.0');`;

/** CLIENT sends a line every 100 ms for DURATION ms on one connection and reports what came back. */
const CLIENT = `
const net = require('net');
const fs = require('fs');
const out = process.env.KV_RESULTS + '/client.json';
const res = { sent: 0, received: 0, servers: {}, error: null, closed: false, maxGapMs: 0 };
let last = Date.now();
const s = net.connect(7, '${VIP}', () => {
  fs.writeFileSync(process.env.KV_RESULTS + '/client.connected', '1');
  const t = setInterval(() => { s.write('line ' + res.sent++ + '\\n'); }, 100);
  setTimeout(() => { clearInterval(t); setTimeout(() => { s.end(); fs.writeFileSync(out, JSON.stringify(res)); process.exit(0); }, 1500); }, Number(process.env.DURATION));
});
s.setEncoding('utf8');
let b = '';
s.on('data', (d) => { b += d; let i; while ((i = b.indexOf('\\n')) >= 0) { const w = b.slice(0, i).split(' ')[0]; res.servers[w] = (res.servers[w] || 0) + 1; res.received++; const now = Date.now(); res.maxGapMs = Math.max(res.maxGapMs, now - last); last = now; b = b.slice(i + 1); } });
s.on('error', (e) => { res.error = e.code || e.message; fs.writeFileSync(out, JSON.stringify(res)); process.exit(1); });
s.on('close', () => { res.closed = true; });
`;

describe.skipIf(skip !== undefined)('lvs_sync_daemon: a connection survives a director failover', () => {
  let guest: UmlGuest;
  const read = (f: string) => {
    try {
      return guest.readResult(f).trim();
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    await ensureDist();
    guest = await bootGuest({
      name: 'lvssync',
      modules: [...IPVS_MODULES, 'bridge', 'veth'],
      timeoutMs: 1_800_000,
    });
  }, 240_000);
  afterAll(async () => {
    await guest?.destroy();
  });

  it('the long-lived connection keeps getting answers through the failover', async () => {
    const r = await guest.run(
      `. ${LAB}
lab_up 192.168.23 ${VIP} 134 135 2 || exit 1
lab_ns rs1 node -e "${ECHO('rs1').replaceAll('"', '\\"')}" > /dev/null 2>&1 &
lab_ns rs2 node -e "${ECHO('rs2').replaceAll('"', '\\"')}" > /dev/null 2>&1 &
cat > /run/dir1.conf <<'CONF'
${conf('dir1', 'MASTER', 150)}
CONF
cat > /run/dir2.conf <<'CONF'
${conf('dir2', 'BACKUP', 100)}
CONF
lab_keepvip dir1 /run/dir1.conf dir1 || exit 2
lab_keepvip dir2 /run/dir2.conf dir2 || exit 3
lab_wait_log dir1 'Entering MASTER STATE' 60 || exit 4
lab_wait_log dir1 'sync daemon master' 30 || exit 5
lab_wait_log dir2 'sync daemon backup' 30 || exit 6
lab_wait_dests dir2 2 30 || exit 7
cat > /run/client.js <<'JS'
${CLIENT}
JS
DURATION=14000 KV_RESULTS=$KV_RESULTS lab_ns client node /run/client.js &
client=$!
lab_wait_file $KV_RESULTS/client.connected 30 || exit 8
sleep 4
lab_ns dir2 ipvsadm -Lnc > $KV_RESULTS/dir2.conns.before
lab_stop dir1 || exit 9
lab_wait_log dir2 'Entering MASTER STATE' 30 || exit 10
wait $client; echo $? > $KV_RESULTS/client.rc
lab_ns dir2 ipvsadm -Lnc > $KV_RESULTS/dir2.conns.after
lab_ns dir2 ipvsadm -Ln --daemon > $KV_RESULTS/dir2.daemon
lab_stop dir2
`,
      { timeoutMs: 600_000 },
    );
    expect(
      r.exitCode,
      `${r.stderr}\n${read('dir1.log').slice(-1500)}\n${read('dir2.log').slice(-1500)}`,
    ).toBe(0);
    // The backup director knew the connection before the failover (synced from the master).
    expect(read('dir2.conns.before')).toMatch(/TCP .*ESTABLISHED .*192\.168\.23\.20:7/);
    const res = JSON.parse(read('client.json')) as {
      sent: number;
      received: number;
      servers: Record<string, number>;
      error: string | null;
    };
    console.info(
      `[lvs/sync-failover] one connection: ${res.sent} lines sent, ${res.received} echoed, servers ${JSON.stringify(res.servers)}`,
    );
    expect(read('client.rc')).toBe('0');
    expect(res.error).toBeNull();
    expect(res.sent).toBeGreaterThan(50);
    expect(res.received).toBe(res.sent);
    // One connection, one real server all along.
    expect(Object.keys(res.servers)).toHaveLength(1);
    expect(read('dir2.daemon')).toMatch(/master sync daemon/);
  }, 700_000);
});
