/**
 * help2roff writes keepvip(8) from the CLI's own help, in the spirit of Debian's help2man: it
 * runs `keepvip --help` and `keepvip COMMAND --help` (commander's layout: Usage, description,
 * Options, Commands) and turns them into man(7) roff on stdout, so the man page cannot drift
 * from the options the program really takes.
 *
 *   node --import tsx scripts/man/help2roff.ts BIN_KEEPVIP VERSION > keepvip.8
 *
 * The date comes from SOURCE_DATE_EPOCH when set (reproducible builds), else today.
 */
import { execFileSync } from 'node:child_process';

/** HelpEntry is one option or command line of a help text: its term and joined description. */
export interface HelpEntry {
  term: string;
  description: string;
}

/** HelpText is one commander help text split into its parts. */
export interface HelpText {
  usage: string;
  description: string;
  options: HelpEntry[];
  commands: HelpEntry[];
}

/** parseHelp splits commander's help output; wrapped descriptions are joined into one line. */
export function parseHelp(text: string): HelpText {
  const help: HelpText = { usage: '', description: '', options: [], commands: [] };
  let section: 'head' | 'options' | 'commands' = 'head';
  const head: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('Usage: ')) {
      help.usage = line.slice('Usage: '.length).trim();
      continue;
    }
    if (line === 'Options:') {
      section = 'options';
      continue;
    }
    if (line === 'Commands:') {
      section = 'commands';
      continue;
    }
    if (section === 'head') {
      head.push(line.trim());
      continue;
    }
    const list = section === 'options' ? help.options : help.commands;
    const entry = /^ {2}(\S.*?)(?: {2,}(\S.*))?$/.exec(line);
    const continuation = /^ {4,}(\S.*)$/.exec(line);
    if (continuation && list.length > 0) {
      const last = list[list.length - 1]!;
      last.description = `${last.description} ${continuation[1]}`.trim();
    } else if (entry) {
      list.push({ term: entry[1]!.trim(), description: (entry[2] ?? '').trim() });
    }
  }
  help.description = head.filter((l) => l !== '').join(' ');
  return help;
}

/** roffEscape makes text safe in a roff line: backslashes, hyphens, and a leading dot or quote. */
export function roffEscape(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/, '\\&$1');
}

function entries(list: HelpEntry[]): string[] {
  return list.flatMap((e) => ['.TP', `.B ${roffEscape(e.term)}`, roffEscape(e.description)]);
}

/** renderManPage turns the top-level help and each command's help into keepvip(8). */
export function renderManPage(
  version: string,
  date: string,
  top: HelpText,
  commands: Array<{ name: string; help: HelpText }>,
): string {
  const lines = [
    `.TH KEEPVIP 8 "${date}" "keepvip ${roffEscape(version)}" "System Administration"`,
    '.SH NAME',
    `keepvip \\- ${roffEscape(top.description)}`,
    '.SH SYNOPSIS',
    `.B keepvip`,
    roffEscape(top.usage.replace(/^keepvip\s*/, '')),
    '.SH DESCRIPTION',
    'keepvip reads the same',
    '.I keepalived.conf',
    'as keepalived 2.2.7 and speaks the same VRRP on the wire (RFC 3768 v2, RFC 5798 v3), so a',
    'keepvip node and a keepalived node form one VRRP group. Without',
    '.B \\-n',
    'it detaches; under systemd it stays in the foreground. SIGTERM or SIGINT stop it gracefully',
    '(a priority\\-0 advertisement, VIPs removed), SIGHUP reloads, SIGUSR1 and SIGUSR2 write the',
    'data and statistics dumps.',
    '.SH OPTIONS',
    ...entries(top.options),
  ];
  if (commands.length > 0) {
    lines.push('.SH COMMANDS');
    for (const { name, help } of commands) {
      lines.push(`.SS "${roffEscape(help.usage || `keepvip ${name}`)}"`, roffEscape(help.description));
      lines.push(...entries(help.options));
    }
  }
  lines.push(
    '.SH EXIT STATUS',
    'With',
    '.BR \\-t :',
    '0 when the configuration is valid, 3 when it cannot run here, 4 when it has errors.',
    '.SH FILES',
    '.TP',
    '.I /etc/keepvip/keepalived.conf',
    'example configuration installed by the package (the systemd unit reads it; the',
    'command line default is',
    '.IR /etc/keepalived/keepalived.conf ).',
    '.TP',
    '.I /run/keepvip.pid',
    'default pid file; the control socket is beside it with',
    '.IR .sock .',
    '.TP',
    '.I /lib/systemd/system/keepvip.service',
    'systemd unit (not enabled by the package: systemctl enable \\-\\-now keepvip).',
    '.SH SEE ALSO',
    '.BR keepalived (8),',
    '.BR keepalived.conf (5),',
    '.I /usr/share/doc/keepvip/README.md',
    '',
  );
  return lines.join('\n');
}

function helpOf(bin: string, args: string[]): HelpText {
  const out = execFileSync(process.execPath, [bin, ...args, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '80' },
  });
  return parseHelp(out);
}

function main(argv: string[]): void {
  const [bin, version] = argv;
  if (!bin || !version) {
    console.error('usage: help2roff.ts BIN_KEEPVIP VERSION');
    process.exit(2);
  }
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const when = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
  const top = helpOf(bin, []);
  const commands = top.commands
    .map((c) => c.term.split(/\s+/)[0]!)
    .filter((name) => name !== 'help')
    .map((name) => ({ name, help: helpOf(bin, [name]) }));
  process.stdout.write(renderManPage(version, when.toISOString().slice(0, 10), top, commands));
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
