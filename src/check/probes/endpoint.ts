/** The probe socket's endpoint for one checker: its target, plus the checker's fwmark (SO_MARK). */
import type { CheckerCommon } from '../../config/model.js';
import type { ProbeEndpoint } from '../../kernel/probe-socket.js';

/** probeEndpoint adds the checker's fwmark to the target; without one it is the target itself. */
export function probeEndpoint<T extends ProbeEndpoint>(checker: Pick<CheckerCommon, 'fwmark'>, target: T): T {
  return checker.fwmark === undefined ? target : { ...target, fwmark: checker.fwmark };
}
