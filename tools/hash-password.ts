/**
 * Makes the `passwordHash` of a beheer user (config `beheer.users[].passwordHash`).
 *
 *   node --import tsx tools/hash-password.ts            # asks for the password (not echoed on a terminal)
 *   printf '%s' "$PASSWORD" | node --import tsx tools/hash-password.ts
 *
 * Prints `scrypt:<salt>:<hash>`. The password is read from stdin, never from the command line, so it does
 * not end up in the shell history or the process list.
 */
import { hashPassword } from '../src/security/passwords.ts';

async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write('Wachtwoord: ');
    stdin.setRawMode(true);
  }
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    if (stdin.isTTY && /[\r\n\u0003\u0004]/.test(text)) break;
  }
  if (stdin.isTTY) {
    stdin.setRawMode(false);
    process.stderr.write('\n');
    if (text.includes('\u0003')) process.exit(130);
  }
  return text.replace(/[\r\n\u0004].*$/s, '');
}

const password = await readPassword();
if (!password) {
  process.stderr.write('no password given\n');
  process.exitCode = 2;
} else {
  process.stdout.write(`${await hashPassword(password)}\n`);
}
