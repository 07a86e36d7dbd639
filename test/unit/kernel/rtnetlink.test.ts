/**
 * The rtnetlink request socket (kernel/netlink-socket.ts, rtnetlink.ts) against the real
 * kernel: reads only, which any user may make, so nothing here changes the host.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { netlinkErrno, netlinkError } from '../../../src/kernel/addresses.js';
import { NetlinkRequestError } from '../../../src/kernel/netlink-socket.js';
import { openRtNetlink, type RtNetlinkSocket } from '../../../src/kernel/rtnetlink.js';
import { SystemCallError } from '../../../src/util/errors.js';

let socket: RtNetlinkSocket | undefined;
const errors: Error[] = [];
const open = (maxInFlight?: number) => {
  socket = openRtNetlink({ onError: (e) => errors.push(e), ...(maxInFlight && { maxInFlight }) });
  return socket;
};

describe('rtnetlink requests', () => {
  afterEach(() => {
    socket?.close();
    expect(errors).toEqual([]);
  });

  it('RTM_GETLINK by IFLA_IFNAME answers with the link (lo)', async () => {
    const [lo] = await open().getLink({}, { ifname: 'lo' });
    expect(lo?.attrs.ifname).toBe('lo');
    expect(lo?.data.index).toBeGreaterThan(0);
  });

  it('keeps the kernel errno of a refused request: ENODEV, and netlinkError makes it a SystemCallError', async () => {
    const error = await open()
      .getLink({}, { ifname: 'kv-no-such0' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlinkRequestError);
    expect((error as NetlinkRequestError).code).toBe('ENODEV');
    expect(netlinkErrno(error)).toBe('ENODEV');
    const wrapped = netlinkError('look up interface kv-no-such0', error);
    expect(wrapped).toBeInstanceOf(SystemCallError);
    expect(wrapped.message).toBe('look up interface kv-no-such0 failed: ENODEV');
  });

  it('dumps links and addresses (RTM_GETLINK, RTM_GETADDR with NLM_F_DUMP)', async () => {
    const s = open();
    const links = await s.getLinks();
    const lo = links.find((l) => l.attrs.ifname === 'lo');
    expect(lo).toBeDefined();
    const addresses = await s.getAddresses();
    expect(addresses.length).toBeGreaterThan(0);
    for (const a of addresses) expect([2, 10]).toContain(a.data.family);
  });

  it('answers 100 concurrent requests, 4 in flight at a time, each with its own reply', async () => {
    const s = open(4);
    const names = Array.from({ length: 100 }, (_, i) => (i % 2 ? 'lo' : `kv-missing${i}`));
    const results = await Promise.allSettled(names.map((ifname) => s.getLink({}, { ifname })));
    results.forEach((r, i) => {
      if (i % 2) expect(r.status === 'fulfilled' && r.value[0]?.attrs.ifname).toBe('lo');
      else expect(r.status === 'rejected' && netlinkErrno(r.reason)).toBe('ENODEV');
    });
  });

  it('close fails what is pending instead of leaving it waiting', async () => {
    const s = open(1);
    const pending = [s.getLink({}, { ifname: 'lo' }), s.getLink({}, { ifname: 'lo' })];
    s.close();
    for (const p of pending) await expect(p).rejects.toThrow(/netlink socket closed/);
  });
});
