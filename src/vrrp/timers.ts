/**
 * VRRP timer arithmetic with the RFC names, in milliseconds. Pure functions; the state machine
 * turns them into absolute deadlines.
 *
 * Precision follows keepalived 2.2.7 (`VRRP_TIMER_SKEW` in vrrp.h), which computes in
 * microseconds and truncates: the results here are whole microseconds expressed in ms, so
 * Skew_Time for priority 100 and a 1 s interval is 609.375 ms, not a rounded centisecond.
 */
import type { VrrpVersion } from './packet.js';

/** OWNER_PRIORITY is the priority of the router that owns the virtual addresses (RFC 5798 5.2.4). */
export const OWNER_PRIORITY = 255;

/** STOP_PRIORITY is the priority a master sends when it stops participating (RFC 5798 5.2.4). */
export const STOP_PRIORITY = 0;

/**
 * MAX_RELEASE_MS caps how long a master stopping in `fast` hand-off mode keeps its VIPs while it
 * waits to hear the new master; it keeps a graceful stop short even with long advert intervals.
 */
export const MAX_RELEASE_MS = 3000;

const US_PER_MS = 1000;

/**
 * skewTimeMs is Skew_Time for our priority.
 * v3 (RFC 5798 6.1): "Skew_Time ... Calculated as (((256 - priority) * Master_Adver_Interval) / 256)".
 * v2 (RFC 3768 6.1): "Skew_Time ... Calculated as ( (256 - Priority) / 256 )" seconds; v2 has no
 * Master_Adver_Interval, so the interval argument is ignored.
 */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdvertIntervalMs: number): number {
  const units = 256 - priority;
  const us =
    version === 3 ? (units * masterAdvertIntervalMs * US_PER_MS) / 256 : (units * 1000 * US_PER_MS) / 256;
  return Math.floor(us) / US_PER_MS;
}

/**
 * ADVERT_SLOT_MS is the grid a master's periodic adverts are sent on (keepvip, not RFC). Each
 * instance sends at a fixed phase of its interval, one of the 10 ms slots in it chosen by VRID
 * (`advertPhaseMs`), whenever it became master: the adverts of the instances that share a slot
 * leave in one sendmmsg batch and a peer reads them in one wakeup, and the slots of an interval
 * share the instances out evenly. Each instance on a phase of its own (when it took over) woke
 * master and backup ~1,000 times a second at 100 instances at 0.1 s, one advert per wakeup; all
 * on one slot (when they took over together) made one burst whose processing delayed a backup's
 * Master_Down_Timer and a mass takeover by milliseconds.
 */
export const ADVERT_SLOT_MS = 10;

/** advertPhaseMs is the offset within its interval at which an instance sends its periodic adverts. */
export function advertPhaseMs(vrid: number, advertIntervalMs: number): number {
  const slots = Math.max(1, Math.floor(advertIntervalMs / ADVERT_SLOT_MS));
  return (vrid % slots) * ADVERT_SLOT_MS;
}

/**
 * nextAdvertMs is when a master's Adver_Timer fires next after `nowMs`: the last time at the
 * instance's phase (t = phaseMs modulo the interval) no later than one Advertisement_Interval on.
 * So adverts are never further apart than the interval, a late-fired timer does not push the next
 * one later, and only the first after a takeover or a priority change comes sooner.
 */
export function nextAdvertMs(nowMs: number, advertIntervalMs: number, phaseMs = 0): number {
  const periods = Math.floor((nowMs + advertIntervalMs - phaseMs) / advertIntervalMs);
  return phaseMs + periods * advertIntervalMs;
}

/**
 * masterDownIntervalMs is Master_Down_Interval.
 * v3 (RFC 5798 6.1): "(3 * Master_Adver_Interval) + Skew_time".
 * v2 (RFC 3768 6.1): "(3 * Advertisement_Interval) + Skew_time" — pass our own interval for v2
 * (the state machine keeps Master_Adver_Interval equal to it there).
 */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterAdvertIntervalMs: number,
): number {
  return 3 * masterAdvertIntervalMs + skewTimeMs(version, priority, masterAdvertIntervalMs);
}

/**
 * releaseBoundMs is how long a master stopping in `fast` mode keeps its VIPs after sending
 * priority 0, waiting for the new master's first advertisement (keepvip, not RFC).
 *
 * Why this bound: on priority 0 every backup arms its Master_Down_Timer to its own Skew_Time
 * (RFC 5798 6.4.2), and the best backup sends its first advertisement the moment it becomes
 * master. The slowest possible backup has priority 1, whose Skew_Time is 255/256 of our advert
 * interval (v3; backups use our interval as Master_Adver_Interval) or 255/256 s (v2). One more
 * advert interval covers scheduling and wire latency. MAX_RELEASE_MS caps it so a graceful stop
 * stays short; if nobody takes over within the bound there is no backup worth waiting for.
 */
export function releaseBoundMs(version: VrrpVersion, advertIntervalMs: number): number {
  return Math.min(skewTimeMs(version, 1, advertIntervalMs) + advertIntervalMs, MAX_RELEASE_MS);
}
