/**
 * RtNetlinkSocket is rtnetlink as keepvip uses it: the link, address, route and rule requests
 * on a NetlinkSocket (netlink-socket.ts), their messages framed by rtnetlink-structs.ts.
 * Mutations resolve once the kernel ACKed them; reads resolve with the decoded messages.
 */
import { NETLINK_ROUTE, NLM_F_DUMP } from './netlink-constants.js';
import { NetlinkRequestError, NetlinkSocket, type NetlinkSocketOptions } from './netlink-socket.js';
import type { NlMessage } from './nlmsg.js';
import * as R from './rtnetlink-constants.js';
import {
  type AddressAttrs,
  type AddressMessage,
  decodeAddressMessage,
  decodeLinkMessage,
  encodeAddress,
  encodeLink,
  encodeRoute,
  encodeRule,
  type FibRuleHdr,
  type IfAddrMsg,
  type IfInfoMsg,
  type LinkAttrs,
  type LinkMessage,
  type RouteAttrs,
  type RtMsg,
  type RuleAttrs,
} from './rtnetlink-structs.js';

/** RtNetlinkOptions configure openRtNetlink: a NetlinkSocket's options, the protocol being NETLINK_ROUTE. */
export type RtNetlinkOptions = Omit<NetlinkSocketOptions, 'protocol'>;

/**
 * openRtNetlink opens an rtnetlink socket on the addon. Errors never throw out of a callback:
 * they fail every pending request (a lost reply would leave it waiting forever) and go to onError.
 */
export function openRtNetlink(o: RtNetlinkOptions): RtNetlinkSocket {
  return new RtNetlinkSocket(new NetlinkSocket({ protocol: NETLINK_ROUTE, ...o }));
}

/** RtNetlinkSocket sends rtnetlink requests; `flags` adds NLM_F_CREATE, NLM_F_EXCL... to a NEW request. */
export class RtNetlinkSocket {
  constructor(private readonly nl: NetlinkSocket) {}

  /** close closes the socket and fails what is pending; idempotent. */
  close(): void {
    this.nl.close();
  }

  /** getLink is RTM_GETLINK for one link (by index, or by IFLA_IFNAME); ENODEV when there is none. */
  async getLink(data: Partial<IfInfoMsg>, attrs: LinkAttrs = {}): Promise<LinkMessage[]> {
    const replies = await this.nl.request(R.RTM_GETLINK, encodeLink(data, attrs), 0, 'RTM_GETLINK');
    return decodeAll(replies, R.RTM_NEWLINK, decodeLinkMessage, 'RTM_GETLINK');
  }

  /** getLinks dumps every link (RTM_GETLINK with NLM_F_DUMP). */
  async getLinks(): Promise<LinkMessage[]> {
    const replies = await this.nl.request(R.RTM_GETLINK, encodeLink({}), NLM_F_DUMP, 'RTM_GETLINK dump');
    return decodeAll(replies, R.RTM_NEWLINK, decodeLinkMessage, 'RTM_GETLINK dump');
  }

  /** newLink is RTM_NEWLINK. */
  async newLink(data: Partial<IfInfoMsg>, attrs: LinkAttrs, flags = 0): Promise<void> {
    await this.nl.request(R.RTM_NEWLINK, encodeLink(data, attrs), flags, 'RTM_NEWLINK');
  }

  /** delLink is RTM_DELLINK. */
  async delLink(data: Partial<IfInfoMsg>): Promise<void> {
    await this.nl.request(R.RTM_DELLINK, encodeLink(data), 0, 'RTM_DELLINK');
  }

  /** setLink is RTM_SETLINK: ifi_flags under the ifi_change mask, and the attributes given. */
  async setLink(data: Partial<IfInfoMsg>, attrs: LinkAttrs = {}): Promise<void> {
    await this.nl.request(R.RTM_SETLINK, encodeLink(data, attrs), 0, 'RTM_SETLINK');
  }

  /** newAddress is RTM_NEWADDR. */
  async newAddress(data: Partial<IfAddrMsg>, attrs: AddressAttrs, flags = 0): Promise<void> {
    await this.nl.request(R.RTM_NEWADDR, encodeAddress(data, attrs), flags, 'RTM_NEWADDR');
  }

  /** delAddress is RTM_DELADDR. */
  async delAddress(data: Partial<IfAddrMsg>, attrs: AddressAttrs): Promise<void> {
    await this.nl.request(R.RTM_DELADDR, encodeAddress(data, attrs), 0, 'RTM_DELADDR');
  }

  /** getAddresses dumps the addresses of every family and link (RTM_GETADDR with NLM_F_DUMP). */
  async getAddresses(): Promise<AddressMessage[]> {
    const replies = await this.nl.request(R.RTM_GETADDR, encodeAddress({}), NLM_F_DUMP, 'RTM_GETADDR dump');
    return decodeAll(replies, R.RTM_NEWADDR, decodeAddressMessage, 'RTM_GETADDR dump');
  }

  /** newRoute is RTM_NEWROUTE. */
  async newRoute(data: Partial<RtMsg>, attrs: RouteAttrs, flags = 0): Promise<void> {
    await this.nl.request(R.RTM_NEWROUTE, encodeRoute(data, attrs), flags, 'RTM_NEWROUTE');
  }

  /** delRoute is RTM_DELROUTE. */
  async delRoute(data: Partial<RtMsg>, attrs: RouteAttrs): Promise<void> {
    await this.nl.request(R.RTM_DELROUTE, encodeRoute(data, attrs), 0, 'RTM_DELROUTE');
  }

  /** newRule is RTM_NEWRULE. */
  async newRule(data: Partial<FibRuleHdr>, attrs: RuleAttrs, flags = 0): Promise<void> {
    await this.nl.request(R.RTM_NEWRULE, encodeRule(data, attrs), flags, 'RTM_NEWRULE');
  }

  /** delRule is RTM_DELRULE. */
  async delRule(data: Partial<FibRuleHdr>, attrs: RuleAttrs): Promise<void> {
    await this.nl.request(R.RTM_DELRULE, encodeRule(data, attrs), 0, 'RTM_DELRULE');
  }
}

/**
 * decodeAll decodes the replies of a read. A reply of another type or with a short header is a
 * kernel we do not understand: the read fails rather than return a partial table.
 */
function decodeAll<T>(
  replies: NlMessage[],
  type: number,
  decode: (payload: Buffer) => T | undefined,
  describe: string,
): T[] {
  return replies.map((m) => {
    const decoded = m.type === type ? decode(m.payload) : undefined;
    if (decoded === undefined)
      throw new NetlinkRequestError(
        `${describe}: unexpected reply (type ${m.type}, ${m.payload.length} bytes; expected type ${type})`,
      );
    return decoded;
  });
}
