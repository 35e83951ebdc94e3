import { hashPassword } from '../security/passwords.ts';
import { type CommandSpec, type Io, OperatorError } from './command.ts';

/**
 * `schakel hash-password`: makes the `passwordHash` of a beheer user (config `beheer.users[].passwordHash`).
 * The password is read from stdin, never from the command line, so it does not end up in the shell history or
 * the process list; on a terminal it is not echoed.
 */
export const command: CommandSpec = {
  usage: '',
  details: `Reads the password from standard input (on a terminal: asked for, not echoed) and prints
scrypt:<salt>:<hash> for beheer.users[].passwordHash.
  schakel hash-password
  printf '%s' "$WACHTWOORD" | schakel hash-password
Exit status: 0 printed, 2 no password given.`,
  async run(_args, io) {
    const password = await readPassword(io);
    if (!password) throw new OperatorError('no password given (type it, or pipe it in on standard input)', 2);
    io.out.write(`${await hashPassword(password)}\n`);
    return 0;
  },
};

/** One line from stdin; on a terminal in raw mode so it is not shown, and Ctrl-C still ends the command. */
async function readPassword(io: Io): Promise<string> {
  const stdin = io.in ?? process.stdin;
  const tty = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  if (tty) {
    io.err.write('Wachtwoord: ');
    stdin.setRawMode!(true);
  }
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    if (tty && /[\r\n\u0003\u0004]/.test(text)) break;
  }
  if (tty) {
    stdin.setRawMode!(false);
    io.err.write('\n');
    if (text.includes('\u0003')) throw new OperatorError('cancelled', 130);
  }
  return text.replace(/[\r\n\u0004].*$/s, '');
}
