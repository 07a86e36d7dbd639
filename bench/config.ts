/**
 * bench/config.ts: time loadConfig on a large generated configuration (100 VRRP instances,
 * 500 virtual servers x 20 real servers with TCP_CHECKs, about 24,000 lines). Goal: median
 * under 200 ms. Run with `node --import tsx bench/config.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/load.js';

/** generateConfig writes the benchmark configuration text. */
export function generateConfig(instances = 100, virtualServers = 500, realServers = 20): string {
  const out: string[] = ['global_defs {', '    router_id bench', '    enable_script_security', '}'];
  for (let i = 1; i <= instances; i++) {
    out.push(
      `vrrp_instance VI_${i} {`,
      '    state BACKUP',
      `    interface eth${Math.floor((i - 1) / 255)}`,
      `    virtual_router_id ${((i - 1) % 255) + 1}`,
      '    priority 100',
      '    advert_int 1',
      `    virtual_ipaddress {\n        10.${i >> 8}.${i & 255}.1/24 dev eth0\n    }`,
      '}',
    );
  }
  for (let v = 0; v < virtualServers; v++) {
    out.push(
      `virtual_server 172.16.${v >> 8}.${v & 255} 80 {`,
      '    delay_loop 6',
      '    lb_algo rr',
      '    lb_kind DR',
      '    protocol TCP',
    );
    for (let r = 1; r <= realServers; r++) {
      // Two lines per real server (a block may open on the keyword's line) keep the file near 20,000 lines.
      out.push(
        `    real_server 192.168.${v & 255}.${r} 80 { weight 1`,
        '        TCP_CHECK { connect_timeout 3 } }',
      );
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'keepvip-bench-config-'));
try {
  const file = join(dir, 'keepalived.conf');
  const text = generateConfig();
  writeFileSync(file, text);
  const lines = text.split('\n').length - 1;
  const warm = loadConfig(file);
  if (!warm.canRun)
    throw new Error(`benchmark configuration does not load: ${JSON.stringify(warm.diagnostics.slice(0, 3))}`);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    loadConfig(file);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = (times[4]! + times[5]!) / 2;
  const rs = warm.config!.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  console.log(
    `loadConfig: ${lines} lines, ${warm.config!.vrrpInstances.length} instances, ${warm.config!.virtualServers.length} virtual servers, ${rs} real servers: median ${median.toFixed(1)} ms over 10 runs (min ${times[0]!.toFixed(1)}, max ${times[9]!.toFixed(1)}); goal < 200 ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
