import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../src/config/load.js';
import { formatDiagnostic } from '../../../src/config/diagnostics.js';

const load = (body: string) => {
  const r = loadConfigText(
    `track_file tf {\n  file /tmp/kv-tf\n  weight 0\n}\nvirtual_server 10.0.0.100 80 {\n  protocol TCP\n  real_server 10.0.0.1 80 {\n${body}\n  }\n}\n`,
    'c.conf',
  );
  return {
    checkers: r.config?.virtualServers[0]?.realServers[0]?.checkers ?? [],
    messages: r.diagnostics.map(formatDiagnostic),
  };
};

describe('checker blocks (keepalived 2.2.7 keywords and defaults)', () => {
  it("virtualhost: the checker's own, else the real server's, else the virtual server's", () => {
    const r = loadConfigText(
      `virtual_server 10.0.0.100 80 {
  protocol TCP
  virtualhost vs.test
  real_server 10.0.0.1 80 {
    virtualhost rs.test
    HTTP_GET {
      url {
        path /
      }
    }
    HTTP_GET {
      url {
        path /
      }
      virtualhost own.test
    }
  }
  real_server 10.0.0.2 80 {
    HTTP_GET {
      url {
        path /
      }
    }
  }
}
`,
      'v.conf',
    );
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    const hosts = r.config!.virtualServers[0]!.realServers.map((rs) =>
      rs.checkers.map((c) => (c as { virtualhost?: string }).virtualhost),
    );
    expect(hosts).toEqual([['rs.test', 'own.test'], ['vs.test']]);
  });

  it('every kind keepvip runs is built, with its defaults', () => {
    const { checkers, messages } = load(`
TCP_CHECK {
  connect_port 81
  bind_port 4000
}
HTTP_GET {
  url {
    path /health
    status_code 200-204 301
    regex "ok"
    virtualhost a.test
  }
  http_protocol 1.1
}
SSL_GET {
  url {
    path /
  }
  enable_sni
}
MISC_CHECK {
  misc_path "/bin/true"
}
SMTP_CHECK {
}
DNS_CHECK {
  type A
  name svc.test
}
UDP_CHECK {
  payload 0a0b
  require_reply
}
PING_CHECK {
}
FILE_CHECK {
  track_file tf
}`);
    expect(messages).toEqual([]);
    expect(checkers.map((c) => c.kind)).toEqual([
      'TCP_CHECK',
      'HTTP_GET',
      'SSL_GET',
      'MISC_CHECK',
      'SMTP_CHECK',
      'DNS_CHECK',
      'UDP_CHECK',
      'PING_CHECK',
      'FILE_CHECK',
    ]);
    expect(checkers[0]).toMatchObject({
      connectPort: 81,
      bindPort: 4000,
      retry: 1,
      delayBeforeRetryMs: 1000,
      connectTimeoutMs: 5000,
    });
    expect(checkers[1]).toMatchObject({
      httpProtocol: '1.1',
      delayBeforeRetryMs: 3000,
      urls: [
        {
          path: '/health',
          statusCodes: [200, 201, 202, 203, 204, 301],
          virtualhost: 'a.test',
          regex: { pattern: 'ok' },
        },
      ],
    });
    expect(checkers[2]).toMatchObject({ kind: 'SSL_GET', enableSni: true });
    expect(checkers[3]).toMatchObject({ retry: 0 });
    expect(checkers[4]).toMatchObject({ heloName: 'smtpchecker.keepalived.org' });
    expect(checkers[5]).toMatchObject({ type: 'A', name: 'svc.test', retry: 3, delayBeforeRetryMs: 60_000 });
    expect(checkers[6]).toMatchObject({
      payload: '0a0b',
      requireReply: true,
      minReplyLength: 0,
      maxReplyLength: 255,
    });
    expect(checkers[8]).toMatchObject({ trackFile: 'tf' });
  });

  it('BFD_CHECK says "not supported by keepvip" at file:line:col; fwmark is read (SO_MARK)', () => {
    const { checkers, messages } = load(`
TCP_CHECK {
  fwmark 7
}
BFD_CHECK {
}`);
    expect(checkers[0]).toMatchObject({ fwmark: 7 });
    expect([...messages].sort()).toEqual([
      "c.conf:12:1: warning: 'BFD_CHECK' in real_server 10.0.0.1 is not supported by keepvip; ignored",
    ]);
  });

  it('keywords of another kind are unknown in a checker (keepalived: "Unknown keyword")', () => {
    const { messages } = load(`
TCP_CHECK {
  url {
    path /
  }
}`);
    expect(messages.join('\n')).toMatch(/c\.conf:10:3: warning: unknown keyword.*url/);
  });

  it('nb_get_retry keeps its 1.x meaning with a warning; alpha and log_all_failures are read', () => {
    const { checkers, messages } = load(`
TCP_CHECK {
  nb_get_retry 4
  alpha
  log_all_failures
}`);
    expect(checkers[0]).toMatchObject({ retry: 4, alpha: true, logAllFailures: true });
    expect(messages.join('\n')).toMatch(/nb_get_retry is the keepalived 1.x name of 'retry'/);
  });
});

describe('flap_guard (keepvip)', () => {
  const rs = (body: string) => {
    const r = loadConfigText(
      `virtual_server 10.0.0.100 80 {\n  protocol TCP\n  real_server 10.0.0.1 80 {\n${body}\n  }\n}\n`,
      'f.conf',
    );
    return { rs: r.config?.virtualServers[0]?.realServers[0], messages: r.diagnostics.map(formatDiagnostic) };
  };

  it('reads COUNT WINDOW_SECS HOLD_SECS in milliseconds', () => {
    const { rs: r, messages } = rs('flap_guard 4 120 30.5');
    expect(messages).toEqual([]);
    expect(r?.flapGuard).toEqual({ maxChanges: 4, windowMs: 120_000, holdMs: 30_500 });
  });

  it('a missing or out-of-range value is reported at its place and the guard ignored', () => {
    const missing = rs('flap_guard 4 120');
    expect(missing.rs?.flapGuard).toBeUndefined();
    expect(missing.messages.join('\n')).toMatch(
      /^f\.conf:4:1: error: flap_guard needs COUNT WINDOW_SECS HOLD_SECS/,
    );
    const zero = rs('flap_guard 0 120 30');
    expect(zero.rs?.flapGuard).toBeUndefined();
    expect(zero.messages.join('\n')).toMatch(/f\.conf:4:12: .*flap_guard ignored/);
  });
});
