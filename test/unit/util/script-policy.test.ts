/** scriptPolicy's user rules on account files the test writes (the security half needs root: integration). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveScriptUser, scriptPolicy } from '../../../src/util/script-security.js';

const dir = mkdtempSync(join(tmpdir(), 'kv-accounts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function accounts(passwd: string, group: string) {
  const files = { passwd: join(dir, `passwd-${passwd.length}`), group: join(dir, `group-${group.length}`) };
  writeFileSync(files.passwd, passwd);
  writeFileSync(files.group, group);
  return files;
}

const PASSWD = 'root:x:0:0::/root:/bin/bash\nweb:x:1001:1001::/home/web:/bin/sh\n';
const GROUP = 'root:x:0:\nweb:x:1001:\nssl-cert:x:110:web,postgres\nadm:x:4:other\n';

describe('scriptPolicy: who a script runs as (keepalived.conf(5) script_user)', () => {
  it('resolves uid, primary gid and supplementary groups; a named group replaces the primary one', () => {
    const files = accounts(PASSWD, GROUP);
    expect(resolveScriptUser({ user: 'web' }, files)).toEqual({ uid: 1001, gid: 1001, groups: [110] });
    expect(resolveScriptUser({ user: 'web', group: 'adm' }, files)).toEqual({
      uid: 1001,
      gid: 4,
      groups: [110],
    });
    expect(() => resolveScriptUser({ user: 'nobody-here' }, files)).toThrow(/does not exist/);
  });

  it('without script_user: keepalived_script when that user exists, else root', () => {
    const none = accounts(PASSWD, GROUP);
    expect(scriptPolicy('/bin/true', undefined, false, none)).toEqual({ identity: undefined });
    const withDefault = accounts(
      `${PASSWD}keepalived_script:x:998:998::/nonexistent:/usr/sbin/nologin\n`,
      GROUP,
    );
    expect(scriptPolicy('/bin/true', undefined, false, withDefault)).toEqual({
      identity: { uid: 998, gid: 998, groups: [] },
    });
    // An explicit script_user wins over the default.
    expect(scriptPolicy('/bin/true', { user: 'web' }, false, withDefault).identity?.uid).toBe(1001);
  });

  it('an unknown user refuses the script instead of running it as root', () => {
    const files = accounts(PASSWD, GROUP);
    expect(scriptPolicy('/bin/true', { user: 'ghost' }, false, files)).toEqual({
      refused: "script user 'ghost' does not exist",
    });
  });
});
