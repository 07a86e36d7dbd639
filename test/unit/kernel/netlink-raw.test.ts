/**
 * The addon's netlink socket (native/src/netlink.c) reports a datagram longer than its 64 KiB
 * read buffer (MSG_TRUNC) as EMSGSIZE instead of handing on the cut bytes, and keeps reading.
 * A NETLINK_USERSOCK socket takes unicasts from other sockets, so python3 sends the datagrams.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { RawNetlinkSocket } from '../../../src/kernel/netlink-raw.js';

/** NETLINK_USERSOCK is the netlink protocol reserved for user-space sockets (linux/netlink.h). */
const NETLINK_USERSOCK = 2;

const SEND = `import socket, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, ${NETLINK_USERSOCK})
s.bind((0, 0))
for size in sys.argv[2:]:
    s.sendto(bytes([7]) * int(size), (int(sys.argv[1]), 0))`;

let skipReason: string | undefined;
try {
  execFileSync('python3', ['-c', 'import socket; socket.AF_NETLINK']);
} catch (error) {
  skipReason = `python3 with AF_NETLINK is needed to send the datagrams: ${(error as Error).message}`;
  console.warn(`[netlink-raw.test] SKIPPED: ${skipReason}`);
}

let sock: RawNetlinkSocket | undefined;

describe.skipIf(skipReason !== undefined)('RawNetlinkSocket', () => {
  afterEach(() => sock?.close());

  it('reports a datagram cut by the read buffer as EMSGSIZE, then delivers the next whole', async () => {
    const datagrams: number[] = [];
    const errors: (string | undefined)[] = [];
    const done = new Promise<void>((resolve) => {
      sock = new RawNetlinkSocket({
        protocol: NETLINK_USERSOCK,
        rcvbufBytes: 1 << 20,
        onDatagram: (d) => {
          datagrams.push(d.length);
          if (d.length === 100) resolve();
        },
        onError: (e) => errors.push(e.code),
      });
    });
    sock?.ref(true);
    execFileSync('python3', ['-c', SEND, String(sock?.port), '65536', '70000', '100']);
    await done;
    expect(datagrams).toEqual([65536, 100]);
    expect(errors).toEqual(['EMSGSIZE']);
  });
});
