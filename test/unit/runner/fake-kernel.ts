/**
 * FakeKernel is a KernelPort in memory for runner unit tests: sockets record what is sent and let
 * a test inject received bytes; addresses live in a set; every address operation can be held
 * pending (`holdAddresses`) so a test controls when the asynchronous VIP add completes.
 */
import type {
  KernelPort,
  LinkInfo,
  PacketSocket,
  ReceivedPacket,
  VipSpec,
} from '../../../src/kernel/port.js';
import { loadConfigText } from '../../../src/config/load.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { VrrpRunner } from '../../../src/runner/vrrp-runner.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManualClock } from '../../../src/util/manual-clock.js';

/** SentPacket is one datagram a fake socket was asked to send. */
export interface SentPacket {
  ifname: string;
  family: 'inet' | 'inet6';
  data: Buffer;
  dst: string;
}

/** FakeSocket is one opened VRRP socket. */
export interface FakeSocket {
  family: 'inet' | 'inet6';
  ifname: string;
  groups: string[];
  closed: boolean;
  deliver(p: ReceivedPacket): void;
  /** fail reports a socket error, as the addon does when the socket dies. */
  fail(error: Error): void;
}

/** KernelCall is one address or announce call, in order. */
export type KernelCall =
  | { op: 'add' | 'delete'; address: string }
  | { op: 'announce'; ifname: string; addresses: string[]; repeat: number };

/** FakeKernel records the runner's kernel calls. */
export class FakeKernel implements KernelPort {
  readonly sockets: FakeSocket[] = [];
  readonly sent: SentPacket[] = [];
  readonly calls: KernelCall[] = [];
  readonly addresses = new Set<string>();
  private held: (() => void)[] | undefined;

  constructor(
    private readonly primary = '10.0.0.2',
    private readonly link: LinkInfo = { name: 'eth0', index: 2, up: true, carrier: true },
  ) {}

  /** holdAddresses makes address operations wait until releaseAddresses(). */
  holdAddresses(): void {
    this.held = [];
  }

  /** releaseAddresses lets the held operations complete, in order. */
  releaseAddresses(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  /** failOpens makes the next n openVrrpSocket calls fail (ENODEV), to exercise the back-off. */
  failOpens = 0;

  async openVrrpSocket(o: Parameters<KernelPort['openVrrpSocket']>[0]): Promise<PacketSocket> {
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new Error('open VRRP socket: ENODEV');
    }
    const s: FakeSocket = {
      family: o.family,
      ifname: o.ifname,
      groups: [...o.multicastGroups],
      closed: false,
      deliver: (p) => {
        if (!s.closed) o.onPacket(p);
      },
      fail: (error) => o.onError?.(error),
    };
    this.sockets.push(s);
    return {
      send: async (data, dst) => {
        this.sent.push({ ifname: o.ifname, family: o.family, data: Buffer.from(data), dst });
      },
      close: () => {
        s.closed = true;
      },
    };
  }

  async getLink(_name?: string): Promise<LinkInfo> {
    return this.link;
  }

  async getPrimaryAddress(): Promise<string | undefined> {
    return this.primary;
  }

  async listAddresses() {
    return [...this.addresses].map((address) => ({ address, prefixLength: 32, ifname: 'eth0' }));
  }

  private async gate(): Promise<void> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
  }

  async addAddress(vip: VipSpec): Promise<void> {
    await this.gate();
    this.calls.push({ op: 'add', address: vip.address });
    this.addresses.add(vip.address);
  }

  async deleteAddress(vip: VipSpec): Promise<void> {
    await this.gate();
    this.calls.push({ op: 'delete', address: vip.address });
    this.addresses.delete(vip.address);
  }

  async announce(ifname: string, vips: VipSpec[], repeat: number): Promise<void> {
    this.calls.push({ op: 'announce', ifname, addresses: vips.map((v) => v.address), repeat });
  }

  watchLinks(): { close(): void } {
    return { close: () => undefined };
  }

  private readonly addressListeners = new Set<
    (c: { ifname?: string; address: string; added: boolean }) => void
  >();

  watchAddresses(onChange: (c: { ifname?: string; address: string; added: boolean }) => void): {
    close(): void;
  } {
    this.addressListeners.add(onChange);
    return { close: () => void this.addressListeners.delete(onChange) };
  }

  /** emitAddress is an RTM_NEWADDR / RTM_DELADDR notification to the address watchers. */
  emitAddress(ifname: string, address: string, added: boolean): void {
    for (const l of this.addressListeners) l({ ifname, address, added });
  }

  /** announces counts announce calls (GARP bursts). */
  get announces(): number {
    return this.calls.filter((c) => c.op === 'announce').length;
  }
}

/** settle lets promise chains started by a timer run (the VIP chain awaits the fake kernel). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** ONE_INSTANCE_V3 is one VRRPv3 instance (VRID 7, advert_int 1, VIP 10.0.0.7) on eth0, starting as BACKUP. */
export const ONE_INSTANCE_V3 = `global_defs {
  router_id t
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 7
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.7/32
  }
}
`;

/** runnerOn builds a VrrpRunner for `text` on `kernel` with a manual clock at 1000 ms and a silent notifier. */
export function runnerOn(
  kernel: KernelPort,
  text = ONE_INSTANCE_V3,
): { runner: VrrpRunner; clock: ManualClock } {
  const config = loadConfigText(text, 'test.conf').config!;
  const clock = new ManualClock(1000);
  const runner = new VrrpRunner({
    config,
    kernel,
    clock,
    log: silentLogger,
    notifier: new Notifier(config, silentLogger, { clock, prober: null }),
  });
  return { runner, clock };
}

/**
 * stopOn stops a runner (or driver) whose graceful stop waits on the manual clock (a fast-mode
 * MASTER waits for a successor, bounded): it advances the clock until the stop resolved.
 */
export async function stopOn(
  target: { stop(): Promise<void> },
  clock: ManualClock,
  stepMs = 100,
): Promise<void> {
  let done = false;
  const stopping = target.stop().then(() => {
    done = true;
  });
  for (let i = 0; !done; i++) {
    if (i > 1000) throw new Error('stop did not finish within 1000 clock steps');
    await clock.advanceSettled(stepMs);
  }
  await stopping;
}
