/**
 * What leaves the checkers besides verdicts: one event per checker transition and per real
 * server change, for notify scripts, FIFO lines and mail (notify/checker-alerts.ts), carried
 * across the checker thread by index (worker-main.ts / worker-host.ts).
 */
import type { RealServer, VirtualServer } from '../config/model.js';
import type { RunChecker } from './probe.js';
import type { RealServerKey } from './verdict.js';

/** CheckEvent is what leaves the scheduler for notify scripts, FIFOs and mail (notify/checker-alerts.ts). */
export type CheckEvent =
  | {
      type: 'checker';
      vs: VirtualServer;
      rs: RealServer;
      checker: RunChecker;
      up: boolean;
      /** mailBody is the checker's keepalived mail body; rsChanged tells whether the server's verdict moved. */
      mailBody: string;
      rsChanged: boolean;
      /** checkerChanged: the checker itself flipped (false for a first run that confirmed the start state). */
      checkerChanged: boolean;
    }
  | {
      type: 'real-server';
      key: RealServerKey;
      vs: VirtualServer;
      rs: RealServer;
      alive: boolean;
      initial: boolean;
    };
