/** The one-instance configuration the Notifier tests load: global_defs lines and notify lines of their own. */
import { join } from 'node:path';
import { loadConfigText } from '../../../src/config/load.js';
import type { KeepvipConfig } from '../../../src/config/model.js';

/** notifierConfig loads `global_defs { GLOBALS }` and VI_1 (eth0, VRID 51, 10.9.9.100/24) with NOTIFY lines, from DIR. */
export function notifierConfig(dir: string, globals: string, notify: string): KeepvipConfig {
  const text = `global_defs {
${globals}
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.9.9.100/24
  }
${notify}
}
`;
  const r = loadConfigText(text, join(dir, 'keepalived.conf'));
  if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
  return r.config;
}
