/**
 * Real-time signal handlers through the native addon (native/src/rtsignal.c). Node's
 * process.on() accepts only the classic signal names; keepalived's SIGJSON is SIGRTMIN+2
 * (lib/signals.h), and a real-time signal without a handler terminates the process.
 */
import { loadNative } from './native.js';

/** SIGJSON_OFFSET is keepalived's SIGJSON as an offset from SIGRTMIN (lib/signals.h: SIGRTMIN + 2). */
export const SIGJSON_OFFSET = 2;

interface RtSignalAddon {
  rtSignalNumber(offset: number): number;
  rtSignalWatch(offset: number, onSignal: (signum: number) => void): object;
  rtSignalUnwatch(handle: object): void;
}

const addon = () => loadNative() as unknown as RtSignalAddon;

/** rtSignalNumber is SIGRTMIN + offset in this C library (36 for SIGJSON with glibc). */
export function rtSignalNumber(offset: number): number {
  return addon().rtSignalNumber(offset);
}

/** onRtSignal calls back on every SIGRTMIN+offset and returns the function that removes the handler. */
export function onRtSignal(offset: number, onSignal: () => void): () => void {
  const a = addon();
  const handle = a.rtSignalWatch(offset, () => onSignal());
  let active = true;
  return () => {
    if (active) a.rtSignalUnwatch(handle);
    active = false;
  };
}
