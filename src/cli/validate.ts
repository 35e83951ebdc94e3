import fs from 'node:fs';
import type { Writable } from 'node:stream';
import type { Finding } from '../validation/finding.ts';
import { BerichtValidator } from '../validation/validator.ts';
import type { Verdict } from '../validation/verdict.ts';
import { SchemaPacks } from '../xml/packs.ts';
import { type CommandSpec, runCommand } from './command.ts';

const STANDARD_LABEL: Record<string, string> = {
  iwmo: 'iWmo',
  ijw: 'iJw',
  ieb: 'iEb',
  ipgb: 'iPgb',
  'stuf-jz': 'StUF-Jeugdzorg',
  stuf: 'StUF',
  ggk: 'StUF-GGK',
};

/** `schakel validate FILE…`: exit 0 when every file is valid, 1 when any is invalid, 2 for usage or unreadable input. */
export const command: CommandSpec = {
  usage: '<FILE…> [--json] [--retour]',
  options: {
    json: { type: 'boolean', help: 'one JSON object per file (JSON Lines)' },
    retour: { type: 'boolean', help: 'also print the retourbericht the standard prescribes' },
  },
  positionals: { min: 1, max: Infinity },
  details: 'Exit status: 0 every file valid, 1 any invalid, 2 usage error or an unreadable file.',
  run: (parsed, { out, err }) =>
    validateFiles(
      { files: parsed.positionals, json: parsed.values.json === true, retour: parsed.values.retour === true },
      out,
      err,
    ),
};

/** `schakel validate` with its arguments, for tests and scripts. */
export function runValidate(argv: string[], out: Writable, err: Writable): Promise<number> {
  return runCommand('validate', 'recognise and validate berichten', command, argv, { out, err });
}

async function validateFiles(
  args: { files: string[]; json: boolean; retour: boolean },
  out: Writable,
  err: Writable,
): Promise<number> {
  const validator = new BerichtValidator(SchemaPacks.load());
  let exit = 0;
  for (const file of args.files) {
    let source: Buffer;
    try {
      source = fs.readFileSync(file);
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      if (args.json) out.write(`${JSON.stringify({ file, error: `cannot read file (${reason})` })}\n`);
      else err.write(`${file}: cannot read file (${reason})\n`);
      exit = 2;
      continue;
    }
    const verdict = validator.validate(source, { retour: args.retour });
    if (!verdict.valid && exit === 0) exit = 1;
    out.write(args.json ? `${JSON.stringify({ file, ...verdict })}\n` : describe(file, verdict, args.retour));
  }
  return exit;
}

function describe(file: string, v: Verdict, withRetour: boolean, indent = ''): string {
  const what = v.message
    ? `${STANDARD_LABEL[v.standard ?? ''] ?? v.standard} ${v.release} ${v.message}`
    : 'not recognised';
  // An envelope is judged on its own findings; its payload is reported below it.
  const ownValid = v.payload ? v.xsdValid && v.findings.length === 0 : v.valid;
  const state = ownValid
    ? v.valid
      ? 'valid'
      : 'envelope valid, payload INVALID'
    : v.xsdValid
      ? 'INVALID (technical rules)'
      : 'INVALID (format/XSD)';
  let text = `${indent}${file}: ${what}: ${state}\n`;
  for (const f of v.findings) text += `${indent}  ${formatFinding(f)}\n`;
  if (v.payload) text += describe('payload', v.payload, withRetour, `${indent}  `);
  if (withRetour && v.retour) text += `${indent}  retourbericht:\n${v.retour}\n`;
  return text;
}

function formatFinding(f: Finding): string {
  const where = f.line ? `line ${f.line}${f.column ? `, column ${f.column}` : ''}` : 'no position';
  const code = f.retourcode ? `${f.code} → retourcode ${f.retourcode}` : f.code;
  return `[${f.level}] ${code} at ${where}${f.path ? ` (${f.path})` : ''}: ${f.text}`;
}
