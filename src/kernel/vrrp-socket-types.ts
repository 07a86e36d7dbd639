/**
 * The VRRP socket's types, apart from vrrp-socket.ts so the family-specific openers
 * (vrrp-socket4.ts, vrrp-socket6.ts) import them without importing the dispatcher (no cycle).
 */
/** ReceivedPacket is one VRRP message as the kernel delivered it. */
export interface ReceivedPacket {
  family: 'inet' | 'inet6';
  /** data: inet: the whole IPv4 datagram incl. header (the codec checks TTL); inet6: the VRRP message only. */
  data: Buffer;
  /** srcAddress (inet6 only, from recvmsg): the sender, link-local for multicast adverts. */
  srcAddress?: string;
  /** dstAddress (inet6 only, from IPV6_PKTINFO): ff02::12 or our unicast address. */
  dstAddress?: string;
  /** hopLimit (inet6 only, from IPV6_HOPLIMIT): RFC 5798 7.1 requires 255. */
  hopLimit?: number;
  /** ifindex (inet6 only, from IPV6_PKTINFO): the interface the message arrived on. */
  ifindex?: number;
}

/** VrrpSocket sends VRRP messages on one interface; close() stops receiving and frees the fd. */
export interface VrrpSocket {
  /**
   * send transmits data to dstAddress. inet: data is a whole IPv4 datagram (header included,
   * IP_HDRINCL), srcAddress is ignored because the header carries it. inet6: data is the VRRP
   * message; srcAddress picks the source (IPV6_PKTINFO) and must be given whenever the codec
   * computed the checksum, since the pseudo-header includes it.
   */
  send(data: Buffer, dstAddress: string, srcAddress?: string): Promise<void>;
  /**
   * sendReporting is send without a promise: onError (made once by the caller) hears a failure.
   * A periodic advert then costs no promise, reaction or microtask of its own (IPv4 batches).
   */
  sendReporting?(
    data: Buffer,
    dstAddress: string,
    srcAddress: string | undefined,
    onError: (err: Error) => void,
  ): void;
  /** flush sends what send() queued at once, before the current callback returns (IPv4 batches; a no-op elsewhere). */
  flush?(): void;
  /**
   * drain reads the datagrams already queued on the socket now, handing each to onPacket before
   * it returns: a backup does so before its Master_Down_Timer takes over (see InstanceDriver).
   */
  drain?(): void;
  /** close stops the receive watcher and closes the socket; idempotent. */
  close(): void;
}

/** VrrpSocketOptions describes the interface, the groups to join and where packets go. */
export interface VrrpSocketOptions {
  family: 'inet' | 'inet6';
  ifname: string;
  /** multicastGroups to join on the interface, usually [VRRP_GROUP_INET] or [VRRP_GROUP_INET6]; [] for unicast peers. */
  multicastGroups: string[];
  onPacket: (p: ReceivedPacket) => void;
  /**
   * onRepeated (IPv4) is asked first for each received datagram, bytes start..end of a batch
   * Buffer valid only during the call: true when it handled the datagram (an instance's repeated
   * advert, runner/receive.ts), so no view of it is made; false hands it to onPacket.
   */
  onRepeated?: (batch: Buffer, start: number, end: number) => boolean;
  /** onError receives socket failures after open; without it they are thrown as uncaught. */
  onError?: (e: Error) => void;
}
