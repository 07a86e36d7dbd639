/** Shared helpers of the LVS unit tests: configurations from text, a verdict source in memory. */
import type { RealServerKey, RealServerVerdict, VerdictSource } from '../../../src/check/verdict.js';
import { loadConfigText } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';

/** lvsConfig loads a configuration and fails on errors. */
export function lvsConfig(text: string): KeepvipConfig {
  const r = loadConfigText(text, 'test.conf', { hostname: 'test' });
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

/** lvsWarnings lists the warnings of a configuration as `LINE: message`. */
export function lvsWarnings(text: string): string[] {
  return loadConfigText(text, 'test.conf', { hostname: 'test' }).diagnostics.map(
    (d) => `${d.line}: ${d.message}`,
  );
}

/** MemoryVerdicts is a VerdictSource a test sets by hand. */
export class MemoryVerdicts implements VerdictSource {
  private readonly map = new Map<RealServerKey, RealServerVerdict>();
  private readonly subs = new Set<(k: RealServerKey, v: RealServerVerdict) => void>();
  get(key: RealServerKey): RealServerVerdict | undefined {
    return this.map.get(key);
  }
  subscribe(onChange: (key: RealServerKey, verdict: RealServerVerdict) => void): () => void {
    this.subs.add(onChange);
    return () => this.subs.delete(onChange);
  }
  /** set publishes a verdict. */
  set(key: RealServerKey, alive: boolean, weight?: number): void {
    const v: RealServerVerdict = {
      alive,
      reason: alive ? 'up' : 'down',
      changedAtMs: 0,
      ...(weight === undefined ? {} : { weight }),
    };
    this.map.set(key, v);
    for (const s of this.subs) s(key, v);
  }
}

/** DR2 is seed 000's virtual server: DR, rr, two real servers with TCP_CHECK. */
export const DR2 = `
virtual_server 192.168.23.20 80 {
  delay_loop 3
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 192.168.23.134 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 3
    }
  }
  real_server 192.168.23.135 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`;
