import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load.ts';
import { schakelVersion } from './version.ts';

/** Where a command writes: stdout and stderr in a real run, captured streams in tests. */
export interface Io {
  out: Writable;
  err: Writable;
  /** Standard input (hash-password reads the password from it); process.stdin when omitted. */
  in?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** What the value is called in the help text (FILE, PORT …); string options only. */
  value?: string;
  help: string;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** A command's interface: what `schakel <name> --help` prints and what its arguments may be. */
export interface CommandSpec {
  /** The arguments after the command name, e.g. `[FILE] [--config FILE]`. */
  usage: string;
  /** More lines for --help: exit codes, environment, notes. */
  details?: string;
  options?: Record<string, OptionSpec>;
  /** How many positional arguments are allowed (default none). */
  positionals?: { min?: number; max?: number };
  run(args: ParsedArgs, io: Io): Promise<number>;
}

/** A wrong invocation: printed with the usage line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A failure an operator can act on (port in use, data folder not writable, no SQLite store to back up):
 * printed as one line without a stack trace; exit 1 unless another code is given.
 */
export class OperatorError extends Error {
  override readonly name = 'OperatorError';

  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', help: 'print this help and exit' },
  version: { type: 'boolean', help: 'print the version and exit' },
};

/** `schakel NAME USAGE` plus the option list, for --help and usage errors. */
export function commandHelp(name: string, spec: CommandSpec, summary: string): string {
  const options: Record<string, OptionSpec> = { ...spec.options, ...COMMON_OPTIONS };
  const lines = Object.entries(options).map(([key, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${key}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(28)} ${o.help}`;
  });
  return [
    `usage: schakel ${name} ${spec.usage}`.trimEnd(),
    '',
    summary,
    '',
    'options:',
    ...lines,
    ...(spec.details ? ['', spec.details.trimEnd()] : []),
    '',
  ].join('\n');
}

/**
 * Parses `argv` strictly against the command's options (node:util parseArgs): an unknown option, a missing
 * value or a stray argument is a usage error (exit 2). --help and --version print and exit 0 without running.
 */
export async function runCommand(
  name: string,
  summary: string,
  spec: CommandSpec,
  argv: string[],
  io: Io,
): Promise<number> {
  const usage = () => `${`usage: schakel ${name} ${spec.usage}`.trimEnd()}\n(schakel ${name} --help for more)\n`;
  let parsed: ParsedArgs;
  try {
    const options = Object.fromEntries(
      Object.entries({ ...spec.options, ...COMMON_OPTIONS }).map(([key, o]) => [
        key,
        { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
      ]),
    );
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    parsed = { values: r.values as ParsedArgs['values'], positionals: r.positionals };
  } catch (e) {
    io.err.write(`schakel ${name}: ${parseArgsMessage(e)}\n${usage()}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out.write(commandHelp(name, spec, summary));
    return 0;
  }
  if (parsed.values.version) {
    io.out.write(`schakel ${schakelVersion()}\n`);
    return 0;
  }
  const { min = 0, max = 0 } = spec.positionals ?? {};
  const n = parsed.positionals.length;
  if (n > max) {
    io.err.write(`schakel ${name}: unexpected argument "${parsed.positionals[max]}"\n${usage()}`);
    return 2;
  }
  if (n < min) {
    io.err.write(`schakel ${name}: missing argument\n${usage()}`);
    return 2;
  }
  try {
    return await spec.run(parsed, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err.write(`schakel ${name}: ${e.message}\n${usage()}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err.write(`schakel ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof OperatorError) {
      io.err.write(`schakel ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

/** parseArgs' own texts name the option well; only its error-code prefix is dropped. */
function parseArgsMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Option '(-[^']+)'/, "option '$1'");
}

export function stringOption(args: ParsedArgs, key: string): string | undefined {
  const v = args.values[key];
  return typeof v === 'string' ? v : undefined;
}

/** The configuration file of a command: `schakel CMD my.yaml` or `schakel CMD --config my.yaml`, not both. */
export function configFileOf(args: ParsedArgs): string | undefined {
  const option = stringOption(args, 'config');
  const positional = args.positionals[0];
  if (option !== undefined && positional !== undefined) {
    throw new UsageError(`give the configuration file once: either "${positional}" or --config ${option}`);
  }
  return option ?? positional;
}

export const CONFIG_OPTION: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    short: 'c',
    value: 'FILE',
    help: 'configuration file (also as the first argument; default $SCHAKEL_CONFIG, else the demo config)',
  },
};

/** The parsed arguments written back as argv, for a command whose runner takes argv (example, demo). */
export function argvOf(args: ParsedArgs): string[] {
  const argv: string[] = [];
  for (const [key, value] of Object.entries(args.values)) {
    if (value === undefined || value === false) continue;
    if (value === true) argv.push(`--${key}`);
    else for (const v of Array.isArray(value) ? value : [value]) argv.push(`--${key}`, v);
  }
  return [...argv, ...args.positionals];
}
