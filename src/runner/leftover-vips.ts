/**
 * removeLeftoverVips deletes an instance's VIPs (and excluded addresses) that are already on
 * their device when it starts: a crashed or killed daemon left them, and a BACKUP must not hold
 * them (keepalived does the same at start-up).
 */
import type { VrrpInstance } from '../config/model.js';
import type { KernelPort } from '../kernel/port.js';
import type { Logger } from '../util/logger.js';
import { toVipSpec } from './instance.js';

/** removeLeftoverVips removes the instance's addresses found on their devices. */
export async function removeLeftoverVips(kernel: KernelPort, log: Logger, inst: VrrpInstance): Promise<void> {
  const present = await kernel.listAddresses();
  for (const v of [...inst.virtualIpAddresses, ...inst.virtualIpAddressesExcluded]) {
    const spec = toVipSpec(v, inst.interface);
    if (present.some((p) => p.address === spec.address && p.ifname === spec.dev)) {
      log.info(`(${inst.name}) removing leftover VIP ${spec.address} from ${spec.dev}`);
      await kernel.deleteAddress(spec);
    }
  }
}
