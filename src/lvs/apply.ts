/**
 * Carrying out a plan against the kernel: each phase's operations are issued at once (the IPVS
 * client pipelines them on one socket), phases one after another. The kernel's answers that
 * mean "already so" are taken as done: EEXIST on an add becomes an edit (someone added it
 * meanwhile), ENOENT / ESRCH on a delete is done, ENOENT / ESRCH on an edit becomes an add.
 */
import type { IpvsPort } from '../kernel/ipvs/types.js';
import { SystemCallError } from '../util/errors.js';
import type { IpvsOp, IpvsPlan } from './diff.js';
import { destinationKey, serviceKey } from './desired.js';

/** ApplyResult counts what a plan cost and what failed. */
export interface ApplyResult {
  /** operations is the number of requests sent (retries included). */
  operations: number;
  failures: { op: IpvsOp; error: string }[];
}

function errnoOf(err: unknown): string | undefined {
  if (err instanceof SystemCallError) return err.errno;
  const e = err as { errno?: unknown; code?: unknown };
  return typeof e?.errno === 'string' ? e.errno : typeof e?.code === 'string' ? e.code : undefined;
}

/** describeOp names an operation for logs: `add-destination [10.0.0.1]:80 -> [10.0.0.2]:80 weight 1`. */
export function describeOp(op: IpvsOp): string {
  switch (op.op) {
    case 'add-service':
    case 'edit-service':
      return `${op.op} ${serviceKey(op.service.id)} ${op.service.schedName}`;
    case 'delete-service':
      return `${op.op} ${serviceKey(op.id)}`;
    default:
      return `${op.op} ${serviceKey(op.id)} -> ${destinationKey(op.destination)} weight ${op.destination.weight}`;
  }
}

async function send(port: IpvsPort, op: IpvsOp): Promise<void> {
  switch (op.op) {
    case 'add-service':
      return port.addService(op.service);
    case 'edit-service':
      return port.editService(op.service);
    case 'delete-service':
      return port.deleteService(op.id);
    case 'add-destination':
      return port.addDestination(op.id, op.destination);
    case 'edit-destination':
      return port.editDestination(op.id, op.destination);
    case 'delete-destination':
      return port.deleteDestination(op.id, op.destination);
  }
}

/** fallbackOf is the operation to try when the kernel says the table is not as read. */
function fallbackOf(op: IpvsOp, errno: string | undefined): IpvsOp | 'done' | undefined {
  const gone = errno === 'ENOENT' || errno === 'ESRCH';
  if (op.op === 'add-service' && errno === 'EEXIST') return { op: 'edit-service', service: op.service };
  if (op.op === 'add-destination' && errno === 'EEXIST') return { ...op, op: 'edit-destination' };
  if (op.op === 'edit-service' && gone) return { op: 'add-service', service: op.service };
  if (op.op === 'edit-destination' && gone) return { ...op, op: 'add-destination' };
  if ((op.op === 'delete-service' || op.op === 'delete-destination') && gone) return 'done';
  return undefined;
}

/** applyPlan sends a plan, phase by phase, each phase pipelined. */
export async function applyPlan(port: IpvsPort, plan: IpvsPlan): Promise<ApplyResult> {
  const result: ApplyResult = { operations: 0, failures: [] };
  for (const phase of plan) {
    await Promise.all(
      phase.map(async (op) => {
        result.operations++;
        try {
          await send(port, op);
        } catch (err) {
          const errno = errnoOf(err);
          const next = fallbackOf(op, errno);
          if (next === 'done') return;
          if (next !== undefined) {
            result.operations++;
            try {
              await send(port, next);
              return;
            } catch (err2) {
              result.failures.push({ op: next, error: (err2 as Error).message });
              return;
            }
          }
          result.failures.push({ op, error: (err as Error).message });
        }
      }),
    );
  }
  return result;
}
