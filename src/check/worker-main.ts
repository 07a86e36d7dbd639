/**
 * The checker thread: runs a CheckScheduler on its own event loop (worker_threads), so the
 * probes' connect/close syscalls and callbacks never delay the VRRP timers of the main
 * thread. It receives the configuration (start, reload, stop) and posts back log lines,
 * verdict changes, events and, when asked, snapshots (worker-host.ts is the other end).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KeepvipConfig } from '../config/model.js';
import { ProbeTimeoutError } from '../util/errors.js';
import { setThreadPriority } from '../kernel/sched.js';
import { installNativeStarter } from '../kernel/spawn.js';
import { systemClock } from '../util/clock.js';
import type { LogLevel, Logger } from '../util/logger.js';
import { joinedCheckers } from './probe.js';
import { CheckScheduler } from './scheduler.js';
import { checkerThreadPriority } from './thread-priority.js';

/** ToWorker are the host's commands. */
export type ToWorker =
  | { type: 'reload'; config: KeepvipConfig }
  | { type: 'suspend'; virtualServers: string[] }
  | { type: 'stop' }
  | { type: 'snapshot' }
  | { type: 'pong'; id: number; error?: string };

// MISC_CHECK programs start through the addon, not a fork of the whole daemon (kernel/spawn.ts).
installNativeStarter();
const port = parentPort;
if (port === null) throw new Error('worker-main.ts runs only as a worker thread');
// Messages leave in one batch per event-loop turn, in order: a turn that logs 1,000 lines (the first
// successes at start, a switch going down) costs the VRRP thread one wakeup and one clone, not 1,000.
let outbox: unknown[] = [];
const flush = () => {
  if (outbox.length === 0) return;
  const batch = outbox;
  outbox = [];
  port.postMessage(batch.length === 1 ? batch[0] : { type: 'batch', messages: batch });
};
const post = (m: unknown) => {
  if (outbox.push(m) === 1) setImmediate(flush);
};
const line = (level: LogLevel) => (message: string) => post({ type: 'log', level, message });
const log: Logger = { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') };
const o = workerData as { config: KeepvipConfig; suspended?: string[] };
// keepalived's checker_priority / checker_rt_priority, on this thread (kernel/sched.ts). The thread
// starts with the VRRP thread's values, so the nice value is always set: 0, keepalived's
// checker process default, unless configured.
for (const problem of setThreadPriority(checkerThreadPriority(o.config.globalDefs), 'checker'))
  log.warn(problem);
// raw-socket (the ICMP pinger's addon) cannot load in a worker thread: the host pings for us.
const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
let pingSeq = 0;
const ping = (address: string, timeoutMs: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const id = ++pingSeq;
    pending.set(id, { resolve, reject });
    post({ type: 'ping', id, address, timeoutMs });
  });
const scheduler = new CheckScheduler({ config: o.config, clock: systemClock, log, ping, turnTime: true });
// The snapshot crosses as one JSON string, only when the host asks (status, metrics, dumps): a
// structured clone of 12,000 real servers cost the main thread tens of milliseconds per post, and
// sending one every few seconds and after changes made megabytes of garbage on both threads.
const postSnapshot = () => post({ type: 'snapshot', json: JSON.stringify(scheduler.snapshot()) });
scheduler.subscribe((key, verdict) => post({ type: 'verdict', key, verdict }));
// Events carry indices, not objects: a virtual server with 1,000 real servers cloned per event
// would flood the main thread. The host maps them back onto its copy of the configuration.
let index = indexOf(o.config);
scheduler.onEvent((e) => {
  const vs = index.vs.get(e.vs);
  const rs = index.rs.get(e.rs);
  if (vs === undefined || rs === undefined) return;
  if (e.type === 'checker')
    post({
      type: 'event',
      event: { ...e, vs, rs, checker: joinedCheckers(e.vs, e.rs).indexOf(e.checker) },
    });
  else post({ type: 'event', event: { ...e, vs, rs } });
});
// ha_suspend: virtual servers whose address is not on this director never run a first check.
scheduler.suspend(o.suspended ?? []);
scheduler.start();
post({ type: 'started', verdicts: [...verdictsOf(scheduler)] });
port.on('message', (m: ToWorker) => {
  if (m.type === 'pong') {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error === undefined) p?.resolve();
    else p?.reject(new ProbeTimeoutError(m.error));
  } else if (m.type === 'reload') {
    index = indexOf(m.config);
    scheduler.reload(m.config);
    post({ type: 'reloaded', verdicts: [...verdictsOf(scheduler)] });
  } else if (m.type === 'suspend') scheduler.suspend(m.virtualServers);
  else if (m.type === 'snapshot') postSnapshot();
  else {
    scheduler.stop();
    post({ type: 'stopped' });
    flush();
    port.close();
  }
});

function indexOf(config: KeepvipConfig) {
  const vs = new Map<object, number>();
  const rs = new Map<object, number>();
  config.virtualServers.forEach((v, i) => {
    vs.set(v, i);
    v.realServers.forEach((r, j) => {
      rs.set(r, j);
    });
  });
  return { vs, rs };
}

function* verdictsOf(s: CheckScheduler) {
  for (const r of s.snapshot().realServers) {
    const v = s.get(r.key);
    if (v !== undefined) yield [r.key, v] as const;
  }
}
