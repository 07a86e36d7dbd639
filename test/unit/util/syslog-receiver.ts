/** A stand-in syslog daemon for tests: a Unix datagram socket (python3, Node has none) printing each message. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** PYTHON is Debian's interpreter when present (a pyenv shim costs a second per start). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    print(s.recv(65536).decode(errors="replace").replace("\\n", " "), flush=True)
`;

/** SyslogReceiver collects the messages sent to its socket. */
export class SyslogReceiver {
  readonly lines: string[] = [];
  private readonly proc: ChildProcess;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: string) {
    this.proc = spawn(PYTHON, ['-u', '-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc.on('exit', () => {
      for (const w of this.waiters.splice(0)) w();
    });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** start binds `socket` and resolves when it is ready. */
  static async start(socket: string): Promise<SyslogReceiver> {
    const r = new SyslogReceiver(socket);
    await r.waitFor(/^ready$/);
    return r;
  }

  /** waitFor resolves with the first line matching `re` (already received or to come); throws after timeoutMs with what came. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.proc.exitCode !== null)
        throw new Error(`syslog receiver exited; lines: ${this.lines.join(' | ')}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no syslog line matching ${re} in ${timeoutMs} ms; lines: ${this.lines.join(' | ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** stop ends the receiver. */
  stop(): void {
    this.proc.kill('SIGKILL');
  }
}
