import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { answerTo } from '../examples/answer.ts';
import { breakableRules, ExampleError, exampleNames, makeExample } from '../examples/examples.ts';
import { BerichtValidator } from '../validation/validator.ts';
import { SchemaPacks } from '../xml/packs.ts';
import { argvOf, type CommandSpec } from './command.ts';

export const EXAMPLE_USAGE = `usage: schakel example <MESSAGE> [--afzender X] [--ontvanger Y] [--invalid RULE] [--payload MESSAGE]
       schakel example --answer FILE        the retour (or StUF answer) to a heenbericht; FILE "-" reads stdin
       schakel example --list               every message, with the rules --invalid can break in it
       schakel example --all --out DIR      one valid example per message, and some invalid ones under DIR/invalid
`;

/**
 * The invalid examples `--all` writes: rules the examples can break, in a message where each applies. TR135 (a
 * Dagtekening after today) is left out: a file made today would be valid tomorrow; make it fresh with
 * `schakel example WMO301 --invalid TR135`.
 */
const INVALID_SET: readonly [message: string, rule: string][] = [
  ['WMO301', 'CS002'],
  ['WMO301', 'TR134'],
  ['JW315', 'TR002'],
  ['WMO307', 'TR018'],
  ['JW305', 'TR101'],
  ['WMO301', 'XSD'],
  ['WMO405', 'CS002'],
  ['vtoDi01', 'XSD'],
  ['ggk_Di01', 'IB009'],
];

/**
 * `schakel example`: prints an example bericht of any message in the catalogue, made by the project's own
 * builders (src/examples). Exit 0 when written, 2 for usage errors and requests that cannot be fulfilled.
 */
export async function runExample(argv: string[], out: Writable, err: Writable): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        afzender: { type: 'string' },
        ontvanger: { type: 'string' },
        invalid: { type: 'string' },
        payload: { type: 'string' },
        answer: { type: 'string' },
        list: { type: 'boolean' },
        all: { type: 'boolean' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err.write(`schakel example: ${(e as Error).message}\n${EXAMPLE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.write(EXAMPLE_USAGE);
    return 0;
  }
  try {
    if (values.list) {
      for (const name of exampleNames()) out.write(`${name}\t${breakableRules(name).join(' ')}\n`);
      return 0;
    }
    if (values.answer !== undefined) {
      const source = values.answer === '-' ? fs.readFileSync(0) : readFile(values.answer);
      out.write(answerTo(source, { validator: new BerichtValidator(SchemaPacks.load()) }));
      return 0;
    }
    if (values.all) {
      if (!values.out) throw new ExampleError('--all needs --out DIR');
      writeAll(values.out, out);
      return 0;
    }
    if (positionals.length !== 1)
      throw new ExampleError(positionals.length ? 'give one message name' : 'no message name given');
    out.write(
      makeExample(positionals[0]!, {
        ...(values.afzender !== undefined ? { afzender: values.afzender } : {}),
        ...(values.ontvanger !== undefined ? { ontvanger: values.ontvanger } : {}),
        ...(values.invalid !== undefined ? { invalid: values.invalid } : {}),
        ...(values.payload !== undefined ? { payload: values.payload } : {}),
      }),
    );
    return 0;
  } catch (e) {
    if (!(e instanceof ExampleError)) throw e;
    err.write(`schakel example: ${e.message}\n${EXAMPLE_USAGE}`);
    return 2;
  }
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ExampleError(`${file}: cannot read file (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** Every message's example as DIR/<MESSAGE>.xml, the invalid set as DIR/invalid/<MESSAGE>-<RULE>.xml. */
function writeAll(dir: string, out: Writable): void {
  fs.mkdirSync(path.join(dir, 'invalid'), { recursive: true });
  for (const name of exampleNames()) fs.writeFileSync(path.join(dir, `${name}.xml`), makeExample(name));
  for (const [name, rule] of INVALID_SET)
    fs.writeFileSync(path.join(dir, 'invalid', `${name}-${rule}.xml`), makeExample(name, { invalid: rule }));
  out.write(`wrote ${exampleNames().length} examples and ${INVALID_SET.length} invalid ones to ${dir}\n`);
}

/** `schakel example` in the command table (src/cli/commands.ts). */
export const command: CommandSpec = {
  usage:
    '<MESSAGE> [--afzender X] [--ontvanger Y] [--invalid RULE] [--payload MESSAGE] | --answer FILE | --list | --all --out DIR',
  details: EXAMPLE_USAGE,
  options: {
    afzender: { type: 'string', value: 'CODE', help: 'the Afzender (gemeentecode or AGB) in the header' },
    ontvanger: { type: 'string', value: 'CODE', help: 'the Ontvanger in the header' },
    invalid: {
      type: 'string',
      value: 'RULE',
      help: 'break exactly this rule (XSD, CS002, TR135 …; --list shows which)',
    },
    payload: { type: 'string', value: 'MESSAGE', help: 'for ggk_Di01/ggk_Du01: the bericht inside the envelope' },
    answer: { type: 'string', value: 'FILE', help: 'print the retour or StUF answer to this heenbericht ("-": stdin)' },
    list: { type: 'boolean', help: 'list every message and the rules --invalid can break in it' },
    all: { type: 'boolean', help: 'write one example per message (with --out)' },
    out: { type: 'string', value: 'DIR', help: 'the folder --all writes to' },
  },
  positionals: { max: 1 },
  run: (args, io) => runExample(argvOf(args), io.out, io.err),
};
