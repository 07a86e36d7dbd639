/** makeProbe picks the probe of a checker kind. */
import type { KeepvipConfig } from '../../config/model.js';
import type { Probe, ProbeEnv, ProbeTarget, RunChecker } from '../probe.js';
import { dnsProbe } from './dns.js';
import { drPathProbe } from './dr-path.js';
import { fileProbeWith } from './file.js';
import { httpProbe } from './http.js';
import { miscProbeWith } from './misc.js';
import { pingProbe } from './ping.js';
import { smtpProbe } from './smtp.js';
import { tcpProbe } from './tcp.js';
import { udpProbe } from './udp.js';

/** makeProbe builds the probe for one checker of one real server. */
export function makeProbe(
  checker: RunChecker,
  target: ProbeTarget,
  env: ProbeEnv,
  config: Pick<KeepvipConfig, 'trackFiles' | 'globalDefs'>,
): Probe {
  switch (checker.kind) {
    case 'TCP_CHECK':
      return tcpProbe(checker, target, env);
    case 'HTTP_GET':
    case 'SSL_GET':
      return httpProbe(checker, target, env);
    case 'MISC_CHECK':
      return miscProbeWith(config.globalDefs.scriptUser, config.globalDefs.enableScriptSecurity)(
        checker,
        target,
        env,
      );
    case 'SMTP_CHECK':
      return smtpProbe(checker, target, env);
    case 'DNS_CHECK':
      return dnsProbe(checker, target, env);
    case 'UDP_CHECK':
      return udpProbe(checker, target, env);
    case 'PING_CHECK':
      return pingProbe(checker, target, env);
    case 'FILE_CHECK':
      return fileProbeWith(config.trackFiles)(checker, target, env);
    case 'DR_PATH_CHECK':
      return drPathProbe(checker, target, env.drPath?.bind(env));
  }
}
