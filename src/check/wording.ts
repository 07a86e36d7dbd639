/**
 * keepalived 2.2.7's words for checker events (check_tcp.c, check_http.c, check_misc.c,
 * check_smtp.c, check_dns.c, check_udp.c, check_ping.c, ipwrapper.c, core/smtp.c), so log
 * scrapers and mail filters written for keepalived keep working. FMT_RS / FMT_CHK is
 * `[IP]:tcp:PORT` of the real server, FMT_VS `[IP]:tcp:PORT` or `FWM N`.
 */
import type { Checker, RealServer, VirtualServer } from '../config/model.js';
import type { RunChecker } from './probe.js';
import { virtualServerKey } from './verdict.js';

/** formatRs is keepalived's FMT_RS: the real server in the virtual server's protocol. */
export function formatRs(
  vs: Pick<VirtualServer, 'protocol'>,
  rs: Pick<RealServer, 'address' | 'port'>,
): string {
  return `[${rs.address}]:${vs.protocol.toLowerCase()}:${rs.port}`;
}

/** formatVs is keepalived's FMT_VS. */
export function formatVs(vs: Pick<VirtualServer, 'address' | 'port' | 'fwmark' | 'protocol'>): string {
  return virtualServerKey(vs);
}

interface KindWords {
  up: (rs: string) => string;
  down: (rs: string, retries: number | undefined) => string;
  mailUp: string;
  mailDown: string;
}

const after = (retries: number | undefined) => (retries ? ` after ${retries} retries` : '');

/** WORDS are the success / failure log lines and mail bodies per checker kind. */
const WORDS: Record<Exclude<Checker['kind'], 'MISC_CHECK' | 'FILE_CHECK'>, KindWords> = {
  TCP_CHECK: {
    up: (rs) => `TCP connection to ${rs} success.`,
    down: (rs, r) => `TCP_CHECK on service ${rs} failed${after(r)}.`,
    mailUp: '=> TCP CHECK succeed on service <=',
    mailDown: '=> TCP CHECK failed on service <=',
  },
  HTTP_GET: {
    up: (rs) => `Remote Web server ${rs} succeed on service.`,
    down: (rs, r) => `HTTP_CHECK on service ${rs} failed${after(r)}.`,
    mailUp: '=> CHECK succeed on service <=',
    mailDown: '=> CHECK failed on service : HTTP request failed <=',
  },
  SSL_GET: {
    up: (rs) => `Remote Web server ${rs} succeed on service.`,
    down: (rs, r) => `HTTP_CHECK on service ${rs} failed${after(r)}.`,
    mailUp: '=> CHECK succeed on service <=',
    mailDown: '=> CHECK failed on service : HTTP request failed <=',
  },
  SMTP_CHECK: {
    up: (rs) => `Remote SMTP server ${rs} succeed on service.`,
    down: (rs, r) => `SMTP_CHECK on service ${rs} failed${after(r)}.`,
    mailUp: '=> CHECK succeed on service <=',
    mailDown: '=> CHECK failed on service <=',
  },
  DNS_CHECK: {
    up: (rs) => `DNS_CHECK (${rs}) succeed on service.`,
    down: (rs, r) => `DNS_CHECK (${rs}) failed${after(r)}.`,
    mailUp: '=> DNS_CHECK: succeed on service <=',
    mailDown: '=> DNS_CHECK: failed on service <=',
  },
  UDP_CHECK: {
    up: (rs) => `UDP connection to ${rs} success.`,
    down: (rs, r) => `UDP_CHECK on service ${rs} failed${after(r)}.`,
    mailUp: '=> UDP CHECK succeed on service <=',
    mailDown: '=> UDP CHECK failed on service <=',
  },
  PING_CHECK: {
    up: (rs) => `ICMP connection to ${rs} success.`,
    down: (rs, r) => `ICMP CHECK on service ${rs} failed${after(r)}.`,
    mailUp: '=> ICMP CHECK succeed on service <=',
    mailDown: '=> ICMP CHECK failed on service <=',
  },
};

/** CheckerLine is what to log and mail for one checker transition. */
export interface CheckerLine {
  log: string;
  mailBody: string;
}

/** checkerLine words a checker going up or down, as its keepalived checker does. */
export function checkerLine(
  checker: RunChecker,
  vs: VirtualServer,
  rs: RealServer,
  up: boolean,
  detail: { retried: boolean; reason: string; script?: string },
): CheckerLine {
  const rsText = formatRs(vs, rs);
  if (checker.kind === 'MISC_CHECK') {
    const what = up ? 'succeeded' : detail.reason.startsWith('timed out') ? 'timed out' : 'failed';
    let msg = '';
    if (!up)
      msg =
        checker.retry === 0
          ? ' with retry disabled'
          : ` after ${checker.retry} ${checker.retry === 1 ? 'retry' : 'retries'}`;
    const why = !up && /^exited with status|^due to signal/.test(detail.reason) ? ` (${detail.reason})` : '';
    return {
      log: `Misc check for [${rsText} VS ${formatVs(vs)}] by [${detail.script ?? ''}] ${what}${msg}${why}.`,
      mailBody: up ? '=> MISC CHECK succeed on service <=' : '=> MISC CHECK failed on service <=',
    };
  }
  if (checker.kind === 'DR_PATH_CHECK') {
    // keepvip's own checker, worded as TCP_CHECK is.
    return {
      log: up
        ? `DR path to ${rsText} for VIP ${vs.address} success.`
        : `DR_PATH_CHECK on service ${rsText} failed${after(detail.retried ? checker.retry : undefined)}.`,
      mailBody: up ? '=> DR PATH CHECK succeed on service <=' : '=> DR PATH CHECK failed on service <=',
    };
  }
  if (checker.kind === 'FILE_CHECK') {
    return {
      log: `FILE_CHECK ${checker.trackFile} on service ${rsText} ${up ? 'succeeded' : 'failed'}.`,
      mailBody: up ? '=> FILE CHECK succeed on service <=' : '=> FILE CHECK failed on service <=',
    };
  }
  const w = WORDS[checker.kind];
  return {
    log: up ? w.up(rsText) : w.down(rsText, detail.retried ? checker.retry : undefined),
    mailBody: up ? w.mailUp : w.mailDown,
  };
}

/** serviceLine is ipwrapper.c perform_svr_state's line: `Adding service X to VS Y` / `Removing service X from VS Y`. */
export function serviceLine(vs: VirtualServer, rs: RealServer, alive: boolean): string {
  const verb = alive
    ? rs.inhibitOnFailure
      ? 'Enabling'
      : 'Adding'
    : rs.inhibitOnFailure
      ? 'Disabling'
      : 'Removing';
  const prep = rs.inhibitOnFailure ? 'of' : alive ? 'to' : 'from';
  return `${verb} service ${formatRs(vs, rs)} ${prep} VS ${formatVs(vs)}`;
}

/** weightLine is update_svr_wgt's line for misc_dynamic and FILE_CHECK weight changes. */
export function weightLine(
  vs: VirtualServer,
  rs: RealServer,
  from: number,
  to: number,
  alive: boolean,
): string {
  return `Changing weight from ${from} to ${to} for ${alive ? '' : 'in'}active service ${formatRs(vs, rs)} of VS ${formatVs(vs)}`;
}

/** rsFifoLine is notify_fifo_rs's line: `RS [IP]:tcp:PORT [VIP]:tcp:PORT UP`, newline included. */
export function rsFifoLine(vs: VirtualServer, rs: RealServer, alive: boolean): string {
  return `RS ${formatRs(vs, rs)} ${formatVs(vs)} ${alive ? 'UP' : 'DOWN'}\n`;
}

/** rsMailSubject is core/smtp.c's SMTP_MSG_RS subject. */
export function rsMailSubject(routerId: string, vs: VirtualServer, rs: RealServer, alive: boolean): string {
  return `[${routerId}] Realserver ${formatRs(vs, rs)} of virtual server ${formatVs(vs)} - ${alive ? 'UP' : 'DOWN'}`;
}
