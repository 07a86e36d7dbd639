/**
 * Tracking owns every tracked object of a configuration — vrrp_script runs, track_file values,
 * vrrp_track_process quorums — once each however many instances track it, and answers which
 * tracked objects bear on an instance with the weight that applies (trackedStates):
 * - a track_* entry's own `weight` overrides the object's (keepalived.conf(5));
 * - track_interface entries default to weight 0 (FAULT while down);
 * - a vrrp_sync_group's track_* lists apply to every member, as keepalived's
 *   sync_group_tracking_init adds them to each member instance.
 * The instance's own interface is handled by the runner's carrier watch.
 */
import type {
  KeepvipConfig,
  TrackFileDef,
  TrackProcessDef,
  TrackRef,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from '../config/model.js';
import type { Logger } from '../util/logger.js';
import { type IdiomWatch, watchIdioms } from '../track/idiom-watch.js';
import { FileTracker } from '../track/file-tracker.js';
import type { TrackedState } from '../track/priority.js';
import { type ExitWatcher, ProcessTracker } from '../track/process-tracker.js';
import { scriptPolicy } from '../util/script-security.js';
import { type ScriptRun, ScriptTracker } from '../track/script-tracker.js';
import type { Clock } from '../util/clock.js';

/** TrackLists are the track_* lists of an instance or a sync group. */
export type TrackLists = Pick<
  VrrpInstance,
  'trackScripts' | 'trackInterfaces' | 'trackFiles' | 'trackProcesses'
>;

/** TrackingView answers the current verdict of each tracked object (undefined: not tracked). */
export interface TrackingView {
  script(name: string): { def: VrrpScript; good: boolean } | undefined;
  file(name: string): { def: TrackFileDef; value: number } | undefined;
  process(name: string): { def: TrackProcessDef; good: boolean } | undefined;
  interfaceUp(name: string): boolean;
}

/** trackedStates lists the tracked objects of one track_* owner and their current verdicts. */
export function trackedStates(lists: TrackLists, view: TrackingView): TrackedState[] {
  const out: TrackedState[] = [];
  const weightOf = (ref: TrackRef, def: { weight: number; weightReverse: boolean }) => ({
    weight: ref.weight ?? def.weight,
    reverse: ref.weightReverse ?? def.weightReverse,
  });
  for (const ref of lists.trackScripts) {
    const s = view.script(ref.name);
    if (s) out.push({ name: `script ${ref.name}`, good: s.good, ...weightOf(ref, s.def) });
  }
  for (const ref of lists.trackInterfaces) {
    out.push({
      name: `interface ${ref.name}`,
      good: view.interfaceUp(ref.name),
      weight: ref.weight ?? 0,
      reverse: ref.weightReverse ?? false,
    });
  }
  for (const ref of lists.trackFiles) {
    const f = view.file(ref.name);
    if (f) out.push({ name: `file ${ref.name}`, good: true, value: f.value, ...weightOf(ref, f.def) });
  }
  for (const ref of lists.trackProcesses) {
    const p = view.process(ref.name);
    if (p) out.push({ name: `process ${ref.name}`, good: p.good, ...weightOf(ref, p.def) });
  }
  return out;
}

/** TrackStatus is one tracked object as `keepvip status` shows it. */
export type TrackStatus = TrackedState & {
  lastRun?: ScriptRun;
  skippedRuns?: number;
  runs?: number;
  processes?: number;
  /** watches lists what a script's check idioms are watched through (track/idiom-watch.ts); [] for none. */
  watches?: string[];
};

/** TrackingOptions wire Tracking to the clock, the log and the runner's retrack. */
export interface TrackingOptions {
  clock: Clock;
  log: Logger;
  /** onChange runs whenever a verdict or value changes. */
  onChange: () => void;
  watchExit: ExitWatcher;
}

interface ScriptEntry {
  key: string;
  tracker: ScriptTracker;
  watch?: IdiomWatch;
}

/** stableKey serialises a definition without source positions. */
function stableKey(value: unknown): string {
  return JSON.stringify(value, (key, v) => (key === 'pos' ? undefined : v));
}

/** Starter is a tracker created by sync that the runner starts once instances are ready. */
export interface Starter {
  start(): void;
}

/** Tracking runs every tracked object of the current configuration. */
export class Tracking {
  private readonly scripts = new Map<string, ScriptEntry>();
  private readonly files = new Map<string, { key: string; tracker: FileTracker }>();
  private readonly processes = new Map<string, { key: string; tracker: ProcessTracker }>();

  constructor(private readonly o: TrackingOptions) {}

  /**
   * sync makes the trackers match a configuration: objects no longer tracked stop, changed ones
   * are replaced, unchanged ones keep their counters (a reload does not reset a fall count).
   * Returns the new trackers, for the caller to start.
   */
  sync(config: KeepvipConfig): Starter[] {
    const owners: TrackLists[] = [...config.vrrpInstances, ...config.vrrpSyncGroups];
    const wanted = (pick: (l: TrackLists) => TrackRef[]) =>
      new Set(owners.flatMap((l) => pick(l).map((r) => r.name)));
    const fresh: Starter[] = [];
    const g = config.globalDefs;

    const scriptNames = wanted((l) => l.trackScripts);
    const scriptDefs = new Map(config.vrrpScripts.map((s) => [s.name, s]));
    for (const [name, e] of this.scripts) {
      const def = scriptDefs.get(name);
      const key = def && stableKey([def, g.scriptUser, g.enableScriptSecurity]);
      if (!scriptNames.has(name) || key !== e.key) {
        e.tracker.stop();
        e.watch?.close();
        this.scripts.delete(name);
      }
    }
    for (const name of scriptNames) {
      const def = scriptDefs.get(name);
      if (!def || this.scripts.has(name)) continue;
      const entry = this.newScript(def, config);
      this.scripts.set(name, entry);
      fresh.push({
        start: () => {
          entry.tracker.start();
          // Check idioms (killall -0, pidof, pgrep, kill -0 $(cat F), systemctl is-active, [ -f F ])
          // in the string or its script file: run the script the moment what it tests changes.
          entry.watch = watchIdioms(def, () => entry.tracker.runNow(), this.o);
          const watches = entry.watch.describe();
          if (watches.length > 0) this.o.log.info(`VRRP_Script(${def.name}) watching ${watches.join('; ')}`);
        },
      });
    }

    const fileNames = wanted((l) => l.trackFiles);
    const fileDefs = new Map(config.trackFiles.map((f) => [f.name, f]));
    for (const [name, e] of this.files) {
      const def = fileDefs.get(name);
      if (!fileNames.has(name) || !def || stableKey(def) !== e.key) {
        e.tracker.stop();
        this.files.delete(name);
      }
    }
    for (const name of fileNames) {
      const def = fileDefs.get(name);
      if (!def || this.files.has(name)) continue;
      const tracker = new FileTracker(def, this.o.log);
      tracker.onChange(() => this.o.onChange());
      this.files.set(name, { key: stableKey(def), tracker });
      fresh.push(tracker);
    }

    const processNames = wanted((l) => l.trackProcesses);
    const processDefs = new Map(config.trackProcesses.map((p) => [p.name, p]));
    for (const [name, e] of this.processes) {
      const def = processDefs.get(name);
      if (!processNames.has(name) || !def || stableKey(def) !== e.key) {
        e.tracker.stop();
        this.processes.delete(name);
      }
    }
    for (const name of processNames) {
      const def = processDefs.get(name);
      if (!def || this.processes.has(name)) continue;
      const tracker = new ProcessTracker(def, this.o.clock, this.o.log, { watchExit: this.o.watchExit });
      tracker.onChange(() => this.o.onChange());
      this.processes.set(name, { key: stableKey(def), tracker });
      fresh.push(tracker);
    }
    return fresh;
  }

  /** statesFor lists what bears on an instance: its own track_* lists and its sync group's. */
  statesFor(
    inst: VrrpInstance,
    group: VrrpSyncGroup | undefined,
    interfaceUp: (name: string) => boolean,
  ): TrackedState[] {
    const view = this.view(interfaceUp);
    return [...trackedStates(inst, view), ...(group ? trackedStates(group, view) : [])];
  }

  /** statusFor is statesFor with each object's run details, for `keepvip status`. */
  statusFor(
    inst: VrrpInstance,
    group: VrrpSyncGroup | undefined,
    interfaceUp: (name: string) => boolean,
  ): TrackStatus[] {
    return this.statesFor(inst, group, interfaceUp).map((t) => {
      const [kind, name] = [t.name.slice(0, t.name.indexOf(' ')), t.name.slice(t.name.indexOf(' ') + 1)];
      if (kind === 'script') {
        const tr = this.scripts.get(name)?.tracker;
        const watches = this.scripts.get(name)?.watch?.describe();
        return { ...t, lastRun: tr?.lastRun, skippedRuns: tr?.skippedRuns, runs: tr?.runs, watches };
      }
      if (kind === 'process') return { ...t, processes: this.processes.get(name)?.tracker.count };
      return t;
    });
  }

  /** scriptTracker gives a script's tracker (status, tests). */
  scriptTracker(name: string): ScriptTracker | undefined {
    return this.scripts.get(name)?.tracker;
  }

  /** stop stops every tracker and watch. */
  stop(): void {
    for (const e of this.scripts.values()) {
      e.tracker.stop();
      e.watch?.close();
    }
    for (const e of this.files.values()) e.tracker.stop();
    for (const e of this.processes.values()) e.tracker.stop();
  }

  private view(interfaceUp: (name: string) => boolean): TrackingView {
    return {
      script: (name) => {
        const t = this.scripts.get(name)?.tracker;
        return t && { def: t.def, good: t.good };
      },
      file: (name) => {
        const t = this.files.get(name)?.tracker;
        return t && { def: t.def, value: t.value };
      },
      process: (name) => {
        const t = this.processes.get(name)?.tracker;
        return t && { def: t.def, good: t.good };
      },
      interfaceUp,
    };
  }

  /** newScript makes a tracker with keepalived's user and security rules applied. */
  private newScript(def: VrrpScript, config: KeepvipConfig): ScriptEntry {
    const g = config.globalDefs;
    // keepalived's rules (util/script-security.ts): its own user, else script_user; check_script_secure.
    const { identity, refused } = scriptPolicy(def.script, def.user ?? g.scriptUser, g.enableScriptSecurity);
    const tracker = new ScriptTracker(def, this.o.clock, this.o.log, { identity, refused });
    tracker.onChange(() => this.o.onChange());
    return { key: stableKey([def, g.scriptUser, g.enableScriptSecurity]), tracker };
  }
}
