/**
 * keepalived's SIGJSON dump (keepalived/vrrp/vrrp_json.c, 2.2.7 layout, json_version 1): an
 * array with one `{"data": {...}, "stats": {...}}` object per vrrp_instance, field names and
 * units as keepalived writes them (times in seconds, states as vrrp.h numbers). Like keepalived
 * after 2.2.8, the authentication password is written as "********".
 */
import type { VrrpInstance } from '../config/model.js';
import { keepalivedCmdStr, resolveExecutable } from './cmd-str.js';
import { KEEPALIVED_STATE, keepalivedStats } from './keepalived-names.js';
import { keepalivedAddress, type DaemonSnapshot, type InstanceView } from './snapshot.js';

const AUTH_TYPE = { PASS: 1, AH: 2 } as const;

function dataOf(
  view: InstanceView,
  inst: VrrpInstance | undefined,
  cmd: (script: string) => string,
): Record<string, unknown> {
  const last = view.transitions.at(-1);
  const state = KEEPALIVED_STATE[view.state] ?? 0;
  const data: Record<string, unknown> = {
    iname: view.name,
    dont_track_primary: inst?.dontTrackPrimary ? 1 : 0,
    skip_check_adv_addr: 0,
    strict_mode: 0,
    vmac_ifname: inst?.useVmac ?? '',
    ifp_ifname: view.interface,
    // keepalived: the priority of the master last heard (0 until one is heard, as when MASTER from the start).
    master_priority: view.masterPriority ?? 0,
    last_transition: last ? Date.parse(last.wallTime) / 1000 : 0,
    garp_delay: (inst?.garp.masterDelayMs ?? 0) / 1000,
    garp_refresh: Math.floor((inst?.garp.masterRefreshMs ?? 0) / 1000),
    garp_rep: inst?.garp.masterRepeat ?? 0,
    garp_refresh_rep: inst?.garp.masterRefreshRepeat ?? 0,
    garp_lower_prio_delay: Math.floor((inst?.garp.lowerPrioDelayMs ?? 0) / 1000),
    garp_lower_prio_rep: inst?.garp.lowerPrioRepeat ?? 0,
    lower_prio_no_advert: 0,
    higher_prio_send_advert: 0,
    vrid: view.vrid,
    base_priority: view.basePriority,
    effective_priority: view.effectivePriority,
    vipset: view.state === 'MASTER',
    promote_secondaries: false,
    adver_int: (inst?.advertIntervalMs ?? 1000) / 1000,
    master_adver_int: (view.masterAdvertIntervalMs ?? inst?.advertIntervalMs ?? 1000) / 1000,
    accept: inst?.accept === false ? 0 : 1,
    nopreempt: inst?.nopreempt ?? false,
    preempt_delay: Math.floor((inst?.preemptDelayMs ?? 0) / 1000),
    state,
    wantstate: state,
    version: view.version,
    smtp_alert: inst?.smtpAlert ?? false,
    notify_deleted: false,
  };
  const n = inst?.notify;
  if (n?.backup) data.script_backup = cmd(n.backup);
  if (n?.master) data.script_master = cmd(n.master);
  if (n?.fault) data.script_fault = cmd(n.fault);
  if (n?.stop) data.script_stop = cmd(n.stop);
  if (n?.any) data.script = cmd(n.any);
  // vrrp_json_array_dump writes a list only when it is not empty.
  const list = (key: string, values: string[]) => {
    if (values.length) data[key] = values;
  };
  // format_ipaddress ends with " set" while the address is configured (vipset: MASTER).
  const set = view.state === 'MASTER' ? ' set' : '';
  if (inst) {
    list(
      'vips',
      inst.virtualIpAddresses.map((v) => keepalivedAddress(v, inst) + set),
    );
    list(
      'evips',
      inst.virtualIpAddressesExcluded.map((v) => keepalivedAddress(v, inst) + set),
    );
    list(
      'track_ifp',
      inst.trackInterfaces.map((t) => t.name),
    );
    list(
      'track_script',
      inst.trackScripts.map((t) => t.name),
    );
    list(
      'track_process',
      inst.trackProcesses.map((t) => t.name),
    );
    data.auth_type = inst.authentication ? AUTH_TYPE[inst.authentication.type] : 0;
    if (inst.authentication) data.auth_data = '********';
  }
  return data;
}

/** formatJsonDump renders the SIGJSON file for a snapshot; `resolve` finds programs as keepalived does (tests: identity). */
export function formatJsonDump(
  snap: Pick<DaemonSnapshot, 'instances' | 'config'>,
  resolve: (file: string) => string = resolveExecutable,
): string {
  const cmd = (script: string) => keepalivedCmdStr(script, resolve);
  const scripts = new Map(snap.config.vrrpScripts.map((s) => [s.name, s.script]));
  const out = snap.instances.map((view) => {
    const inst = snap.config.vrrpInstances.find((c) => c.name === view.name);
    const data = dataOf(view, inst, cmd);
    // keepalived's track_script entries are the scripts' command strings (cmd_str).
    if (Array.isArray(data.track_script))
      data.track_script = (data.track_script as string[]).map((name) => {
        const script = scripts.get(name);
        return script === undefined ? name : cmd(script);
      });
    const c = view.counters;
    const s = keepalivedStats(c.drops);
    return {
      data,
      stats: {
        advert_rcvd: c.advertsReceived,
        advert_sent: c.advertsSent,
        become_master: c.becameMaster,
        release_master: c.releasedMaster,
        packet_len_err: s.packet_len_err,
        advert_interval_err: s.advert_interval_err,
        ip_ttl_err: s.ip_ttl_err,
        invalid_type_rcvd: s.invalid_type_rcvd,
        addr_list_err: s.addr_list_err,
        invalid_authtype: s.invalid_authtype,
        authtype_mismatch: s.authtype_mismatch,
        auth_failure: s.auth_failure,
        pri_zero_rcvd: c.priorityZeroReceived,
        pri_zero_sent: c.priorityZeroSent,
      },
    };
  });
  return `${JSON.stringify(out)}\n`;
}
