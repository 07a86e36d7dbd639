import { afterEach, describe, expect, it } from 'vitest';
import { decodeCtrlFamilyId, encodeCtrlGetFamily } from '../../../../src/kernel/ipvs/codec.js';
import { CTRL_CMD_GETFAMILY, GENL_ID_CTRL } from '../../../../src/kernel/ipvs/constants.js';
import { GenlSocket } from '../../../../src/kernel/ipvs/genl-socket.js';
import { encodeGenl } from '../../../../src/kernel/ipvs/genlmsg.js';
import { SystemCallError } from '../../../../src/util/errors.js';

// The pipeline against the real generic netlink controller (nlctrl), which every Linux
// kernel has and which answers without privileges: no IPVS needed, nothing mocked.
let sock: GenlSocket | undefined;
let skipReason: string | undefined;
try {
  new GenlSocket().close();
} catch (error) {
  skipReason = `no NETLINK_GENERIC socket here: ${(error as Error).message}`;
  console.warn(`[genl-socket.test] SKIPPED: ${skipReason}`);
}

const getFamily = (s: GenlSocket, name: string) =>
  s.request({ type: GENL_ID_CTRL, payload: encodeCtrlGetFamily(name), describe: () => `GETFAMILY ${name}` });
const dumpFamilies = (s: GenlSocket) =>
  s.request({
    type: GENL_ID_CTRL,
    payload: encodeGenl(CTRL_CMD_GETFAMILY, 1, []),
    dump: true,
    describe: () => 'dump',
  });

describe.skipIf(skipReason !== undefined)('GenlSocket against nlctrl', () => {
  afterEach(() => sock?.close());

  it('resolves a family (CTRL_CMD_GETFAMILY nlctrl -> GENL_ID_CTRL)', async () => {
    sock = new GenlSocket();
    const [reply] = await getFamily(sock, 'nlctrl');
    expect(reply && decodeCtrlFamilyId(reply)).toBe(GENL_ID_CTRL);
  });

  it('keeps the errno of a failed request (ENOENT for an unknown family)', async () => {
    sock = new GenlSocket();
    const error = await getFamily(sock, 'kv-no-such').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemCallError);
    expect((error as SystemCallError).errno).toBe('ENOENT');
    expect((error as Error).message).toMatch(/GETFAMILY kv-no-such failed: ENOENT/);
  });

  it('pipelines 1000 requests in batches, each answered by its sequence number', async () => {
    sock = new GenlSocket({ window: 128 });
    const names = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `kv-missing-${i}` : 'nlctrl'));
    const results = await Promise.allSettled(names.map((n) => getFamily(sock as GenlSocket, n)));
    results.forEach((r, i) => {
      if (i % 3 === 0) expect(r.status === 'rejected' && (r.reason as SystemCallError).errno).toBe('ENOENT');
      else
        expect(r.status === 'fulfilled' && r.value[0] && decodeCtrlFamilyId(r.value[0])).toBe(GENL_ID_CTRL);
    });
    expect(sock.operations).toBe(1000);
    // At most `window` requests per sendmsg: 1000 / 128 -> 8 batches (more only if answers came in between).
    expect(sock.sends).toBeGreaterThanOrEqual(8);
    expect(sock.sends).toBeLessThan(1000 / 4);
    // Only a batch's last request asks for an ACK: a reply per success, an error per failure,
    // one ACK per batch (when that last request succeeded).
    expect(sock.received).toBeLessThanOrEqual(1000 + sock.sends);
    expect(sock.strays).toBe(0);
    expect(sock.pending).toBe(0);
  });

  it('runs concurrent dumps one after another (no EBUSY) and keeps request order', async () => {
    sock = new GenlSocket();
    const order: string[] = [];
    const track = <T>(tag: string, p: Promise<T>) =>
      p.then((v) => {
        order.push(tag);
        return v;
      });
    const all = await Promise.all([
      track('get1', getFamily(sock, 'nlctrl')),
      track('dump1', dumpFamilies(sock)),
      track('get2', getFamily(sock, 'nlctrl')),
      track('dump2', dumpFamilies(sock)),
      track('dump3', dumpFamilies(sock)),
      track('get3', getFamily(sock, 'nlctrl')),
    ]);
    const dumps = [all[1], all[3], all[4]] as Buffer[][];
    expect(dumps[0]?.length).toBeGreaterThan(0);
    for (const d of dumps)
      expect(d.map((b) => decodeCtrlFamilyId(b))).toEqual(dumps[0]?.map((b) => decodeCtrlFamilyId(b)));
    // The kernel answers in the order asked: a request queued behind a dump never overtakes it.
    expect(order).toEqual(['get1', 'dump1', 'get2', 'dump2', 'dump3', 'get3']);
  });

  it('close rejects what is still pending', async () => {
    sock = new GenlSocket();
    const p = getFamily(sock, 'nlctrl');
    sock.close();
    await expect(p).rejects.toThrow(/closed/);
    await expect(getFamily(sock, 'nlctrl')).rejects.toThrow(/closed/);
  });
});
