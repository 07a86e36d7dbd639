/**
 * `keepvip realserver up|down|status --vip IP [--vip IP6]`: the LVS-DR real-server side (seed
 * 002-lvs_rs.sh done properly). The work is lvs/real-server-setup.ts, which the daemon's
 * `real_server_setup` also uses; this command records what `up` changed in /run/keepvip/, so
 * `up` is idempotent and `down` undoes exactly that.
 */
import { closeRtnetlink } from '../kernel/addresses.js';
import { realServerDown, realServerStatus, realServerUp } from '../lvs/real-server-setup.js';

export { ARP_TARGETS, type RealServerState } from '../lvs/real-server-setup.js';

/** REALSERVER_STATE is where `up` records what it changed. */
export const REALSERVER_STATE = '/run/keepvip/realserver.json';

/** RealServerOptions select the VIPs and where the record lives (tests use a temporary one). */
export interface RealServerOptions {
  mode: string;
  vips: string[];
  stateFile?: string;
  /** sysctlRoot replaces /proc/sys/net/ipv4/conf (tests). */
  sysctlRoot?: string;
  out?: (line: string) => void;
}

/** runRealServer carries out `keepvip realserver MODE` and returns the exit code. */
export async function runRealServer(o: RealServerOptions): Promise<number> {
  const setup = {
    stateFile: o.stateFile ?? REALSERVER_STATE,
    out: o.out ?? ((l: string) => process.stdout.write(`${l}\n`)),
    ...(o.sysctlRoot === undefined ? {} : { sysctlRoot: o.sysctlRoot }),
  };
  try {
    if (o.mode === 'up') {
      await realServerUp(o.vips, setup);
      return 0;
    }
    if (o.mode === 'down') {
      await realServerDown(o.vips, setup);
      return 0;
    }
    if (o.mode === 'status') return (await realServerStatus(o.vips, setup)) ? 0 : 1;
    throw new Error(`unknown mode '${o.mode}' (expected up, down or status)`);
  } catch (e) {
    process.stderr.write(`keepvip realserver: ${(e as Error).message}\n`);
    return 1;
  } finally {
    closeRtnetlink();
  }
}
