import type { Writable } from 'node:stream';
import { type Io, runCommand } from './command.ts';
import { COMMANDS } from './commands.ts';
import { schakelVersion } from './version.ts';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'usage: schakel <command> [options]',
    '       schakel <command> --help    what a command takes',
    '       schakel --version',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Exit status: 0 done, 1 failed, 2 usage or configuration error.',
    '',
  ].join('\n');
}

/** The `schakel` command. Returns the process exit code. */
export async function main(
  argv: string[],
  io: Io = { out: process.stdout as Writable, err: process.stderr as Writable },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err.write(overview());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out.write(overview());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out.write(`schakel ${schakelVersion()}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err.write(`schakel: unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}"\n${overview()}`);
    return 2;
  }
  const { command } = await entry.load();
  return runCommand(entry.name, entry.summary, command, rest, io);
}
