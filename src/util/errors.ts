/**
 * KeepvipError is the base of every error keepvip throws on purpose. Callers branch on `code`,
 * which is stable across releases; the message is for people.
 */
export class KeepvipError extends Error {
  /** code is the stable machine-readable identifier, e.g. `E_CONFIG`, `E_NETLINK`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** ConfigLoadError is thrown when a configuration cannot be used; it carries every finding. */
export class ConfigLoadError extends KeepvipError {
  readonly diagnostics: readonly { file: string; line: number; col: number; message: string }[];
  constructor(message: string, diagnostics: ConfigLoadError['diagnostics']) {
    super('E_CONFIG', message);
    this.diagnostics = diagnostics;
  }
}

/** SystemCallError wraps a failed kernel operation and keeps its errno name (EEXIST, EPERM...). */
export class SystemCallError extends KeepvipError {
  readonly errno: string;
  constructor(operation: string, errno: string, detail?: string) {
    super('E_SYSCALL', `${operation} failed: ${errno}${detail ? ` (${detail})` : ''}`);
    this.errno = errno;
  }
}

/** ProbeTimeoutError is a probe that outlived its timeout; errno ETIMEDOUT. */
export class ProbeTimeoutError extends SystemCallError {
  constructor(operation: string) {
    super(operation, 'ETIMEDOUT', 'timeout');
  }
}

/**
 * DatagramsNotSentError is a batched send (sendmmsg) in which some datagrams failed; the others
 * went out. Every sender of the batch sees it: `unsent` tells each whether its own datagram is one.
 */
export class DatagramsNotSentError extends SystemCallError {
  constructor(
    operation: string,
    errno: string,
    readonly unsent: readonly Buffer[],
  ) {
    super(operation, errno);
  }

  /** concerns tells a sender of the batch whether its datagram is one that failed. */
  concerns(datagram: Buffer): boolean {
    return this.unsent.includes(datagram);
  }
}
