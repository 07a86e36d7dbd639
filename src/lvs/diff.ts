/**
 * The minimal operations that turn the kernel's IPVS table into the desired one, touching only
 * the services keepvip owns (the desired ones, plus the ones it programmed before and no longer
 * wants). Pure. Ordered in phases so that nothing is ever missing in between: new services,
 * then service edits, destination adds and edits, destination deletes, and service deletes last
 * (a sorry server is in before the real servers leave, as kube-proxy and seesaw order theirs).
 */
import type { IpvsDestination, IpvsService, IpvsServiceId, IpvsTable } from '../kernel/ipvs/types.js';
import { destinationKey, IP_VS_SVC_F, serviceKey } from './desired.js';

/** IpvsOp is one netlink request. */
export type IpvsOp =
  | { op: 'add-service'; service: IpvsService }
  | { op: 'edit-service'; service: IpvsService }
  | { op: 'delete-service'; id: IpvsServiceId }
  | { op: 'add-destination'; id: IpvsServiceId; destination: IpvsDestination }
  | { op: 'edit-destination'; id: IpvsServiceId; destination: IpvsDestination }
  | { op: 'delete-destination'; id: IpvsServiceId; destination: IpvsDestination };

/** IpvsPlan is the operations in phases: each phase may run pipelined, phases one after another. */
export type IpvsPlan = IpvsOp[][];

/** sameService compares what keepvip sets on a service (the kernel's HASHED bit is its own). */
export function sameService(a: IpvsService, b: IpvsService): boolean {
  return (
    a.schedName === b.schedName &&
    (a.flags & ~IP_VS_SVC_F.HASHED) === (b.flags & ~IP_VS_SVC_F.HASHED) &&
    a.timeout === b.timeout &&
    a.netmask === b.netmask &&
    (a.peName ?? '') === (b.peName ?? '')
  );
}

/** sameDestination compares what keepvip sets on a destination (not its counters). */
export function sameDestination(a: IpvsDestination, b: IpvsDestination): boolean {
  // A destination local to this host reads back as IP_VS_CONN_F_LOCALNODE whatever was asked for.
  const forwardSame = a.forward === b.forward || a.localNode === true || b.localNode === true;
  if (!forwardSame || a.weight !== b.weight) return false;
  if (a.upperThreshold !== b.upperThreshold || a.lowerThreshold !== b.lowerThreshold) return false;
  if (a.forward !== 'tun') return true;
  return (
    (a.tunType ?? 'ipip') === (b.tunType ?? 'ipip') &&
    (a.tunPort ?? 0) === (b.tunPort ?? 0) &&
    (a.tunFlags ?? 0) === (b.tunFlags ?? 0)
  );
}

/**
 * diffTables plans the operations from `current` (read from the kernel) to `desired`.
 * `formerlyOwned` are keys of services keepvip programmed before: those no longer desired are
 * deleted; any other service in the kernel is someone else's and is left alone.
 */
export function diffTables(
  desired: IpvsTable,
  current: IpvsTable,
  formerlyOwned: ReadonlySet<string> = new Set(),
): IpvsPlan {
  const have = new Map(current.services.map((s) => [serviceKey(s.service.id), s]));
  const addServices: IpvsOp[] = [];
  const editServices: IpvsOp[] = [];
  const putDests: IpvsOp[] = [];
  const delDests: IpvsOp[] = [];
  const delServices: IpvsOp[] = [];
  const wanted = new Set<string>();
  for (const want of desired.services) {
    const key = serviceKey(want.service.id);
    wanted.add(key);
    const id = want.service.id;
    const got = have.get(key);
    if (got === undefined) {
      addServices.push({ op: 'add-service', service: want.service });
      for (const d of want.destinations) putDests.push({ op: 'add-destination', id, destination: d });
      continue;
    }
    if (!sameService(want.service, got.service))
      editServices.push({ op: 'edit-service', service: want.service });
    const gotDests = new Map(got.destinations.map((d) => [destinationKey(d), d]));
    const wantKeys = new Set<string>();
    for (const d of want.destinations) {
      const dk = destinationKey(d);
      wantKeys.add(dk);
      const g = gotDests.get(dk);
      if (g === undefined) putDests.push({ op: 'add-destination', id, destination: d });
      else if (!sameDestination(d, g)) putDests.push({ op: 'edit-destination', id, destination: d });
    }
    for (const [dk, g] of gotDests)
      if (!wantKeys.has(dk)) delDests.push({ op: 'delete-destination', id, destination: g });
  }
  for (const key of formerlyOwned) {
    const got = have.get(key);
    if (got !== undefined && !wanted.has(key)) delServices.push({ op: 'delete-service', id: got.service.id });
  }
  return [addServices, editServices, putDests, delDests, delServices].filter((p) => p.length > 0);
}

/** planSize counts the operations of a plan. */
export function planSize(plan: IpvsPlan): number {
  return plan.reduce((n, p) => n + p.length, 0);
}
