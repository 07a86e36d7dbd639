/**
 * holdSignals keeps the signals an operator may send while the daemon is still starting from
 * killing it: Node's default action for SIGHUP, SIGUSR1 and SIGUSR2 is to terminate, and the
 * real handlers (reload, dumps) can only be installed once the runner exists. Until `release`,
 * a placeholder handler records each signal; `release` removes the placeholders and raises the
 * recorded signals again, once each, so the real handlers see them (a SIGHUP during start-up
 * becomes one reload right after it).
 */
export interface HeldSignals {
  /** release stops holding and re-raises every held signal once; call after installing the real handlers. */
  release(): void;
}

/** HELD_SIGNALS are the signals whose default action would end a starting daemon. */
export const HELD_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'];

/** holdSignals starts holding `signals`. */
export function holdSignals(signals: readonly NodeJS.Signals[] = HELD_SIGNALS): HeldSignals {
  const pending = new Set<NodeJS.Signals>();
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of signals) {
    const h = () => pending.add(sig);
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return {
    release() {
      for (const [sig, h] of handlers) process.off(sig, h);
      handlers.clear();
      for (const sig of pending) process.kill(process.pid, sig);
      pending.clear();
    },
  };
}
