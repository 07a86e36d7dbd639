/**
 * linuxKernel binds the KernelPort (port.ts) to the real kernel: raw VRRP sockets, rtnetlink
 * addresses and links, and gratuitous ARP / unsolicited NA through the native addon.
 */
import type { Logger } from '../util/logger.js';
import type { KernelPort } from './port.js';
import {
  addAddress,
  closeRtnetlink,
  deleteAddress,
  forgetLinkIndex,
  listAddresses,
  onNetlinkError,
} from './addresses.js';
import { sendGarpBurst } from './garp.js';
import { watchAddresses } from './address-watch.js';
import { getLink, getPrimaryAddress, watchLinks } from './links.js';
import { pidfdExitWatcher } from './pidfd.js';
import { nftBlockVips, nftCleanup, nftUnblockVips } from './nftables.js';
import { addRoute, addRule, deleteRoute, deleteRule } from './routes.js';
import { setPromoteSecondaries } from './sysctl.js';
import { addVmac } from './vmac.js';
import { openAhSocket4 } from './ah-socket.js';
import { openVrrpSocket } from './vrrp-socket.js';

/** linuxKernel returns the KernelPort of this host (or of the network namespace we run in). */
export function linuxKernel(log: Logger): KernelPort & { close(): void } {
  return {
    openVrrpSocket: async (o) => openVrrpSocket(o),
    getLink: (ifname) => getLink(ifname),
    getPrimaryAddress: (ifname, family) => getPrimaryAddress(ifname, family),
    listAddresses: async () => (await listAddresses()).map((a) => ({ ...a, ifname: a.dev })),
    addAddress: (vip) => addAddress(vip, log),
    deleteAddress: (vip) => deleteAddress(vip, log),
    addRoute: (r) => addRoute(r, log),
    deleteRoute: (r) => deleteRoute(r, log),
    addRule: (r) => addRule(r, log),
    deleteRule: (r) => deleteRule(r, log),
    setPromoteSecondaries: (ifname) => setPromoteSecondaries(ifname),
    nftBlockVips: (addresses) => nftBlockVips(addresses),
    nftUnblockVips: (addresses) => nftUnblockVips(addresses),
    nftCleanup: () => nftCleanup(),
    addVmac: (spec) => addVmac(spec, log),
    openAhSocket: (o) => openAhSocket4(o),
    announce: (ifname, vips, repeat, intervalMs) =>
      sendGarpBurst(
        ifname,
        vips.map((v) => v.address),
        { repeat, intervalMs },
      ),
    watchExit: pidfdExitWatcher,
    onNetlinkError: (listener) => onNetlinkError(listener),
    watchLinks: (onChange, onLost) =>
      watchLinks(
        (link) => {
          // A deleted or re-created interface changes its index: never reuse a cached one.
          if (link.deleted) forgetLinkIndex(link.name);
          onChange(link);
        },
        (err) => {
          forgetLinkIndex();
          log.warn(`link watch: ${err.message}`);
          // ENOBUFS: notifications were lost; the runner re-reads every link it tracks.
          onLost?.();
        },
      ),
    watchAddresses: (onChange, onLost) =>
      watchAddresses(
        // IPv4 notifications name the interface in IFA_LABEL ("eth0", or "eth0:alias"); IPv6 ones
        // carry only the index: no name then, and the caller treats the change as possibly its own.
        (c) =>
          onChange({
            ifname: c.address.label?.split(':')[0],
            address: c.address.address,
            added: c.added,
          }),
        (err) => {
          log.warn(`address watch: ${err.message}`);
          onLost?.();
        },
      ),
    close: () => closeRtnetlink(),
  };
}
