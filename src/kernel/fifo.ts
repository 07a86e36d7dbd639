/**
 * Named pipes for notify_fifo / vrrp_notify_fifo / lvs_notify_fifo: Node has no mkfifo(3), so
 * the addon makes the call (native/src/addon.c) and a failure keeps its errno.
 */
import { callNative, loadNative } from './native.js';

/** makeFifo creates a FIFO at `path` with `mode` (before the umask); throws SystemCallError (EEXIST, EACCES...). */
export function makeFifo(path: string, mode: number): void {
  callNative(`mkfifo ${path}`, () => loadNative().mkfifo(path, mode));
}
