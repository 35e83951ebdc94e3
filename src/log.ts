import { type DestinationStream, type Logger, pino, stdTimeFunctions } from 'pino';
import pretty from 'pino-pretty';
import { redactBsn } from './security/redact.ts';

export type { Logger } from 'pino';

/** Fields whose value is never logged, whatever it holds. */
export const REDACT_PATHS = [
  'bsn',
  'Bsn',
  'BSN',
  'body',
  '*.bsn',
  '*.Bsn',
  '*.BSN',
  '*.body',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where lines go; stdout when omitted. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** json: one JSON object per line; pretty: readable lines for a person. Default: LOG_FORMAT, else pretty on a terminal. */
  format?: LogFormat;
}

export type LogFormat = 'json' | 'pretty';

/** The format for stdout: LOG_FORMAT when set (json | pretty), else pretty on a terminal and JSON otherwise. */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTty = process.stdout.isTTY === true): LogFormat {
  const chosen = env.LOG_FORMAT?.trim().toLowerCase();
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return isTty ? 'pretty' : 'json';
}

/** Readable lines (time, level, message, then the fields) for a person at a terminal. */
export function prettyStream(
  destination?: NodeJS.WritableStream,
  colorize = process.stdout.isTTY === true,
): DestinationStream {
  return pretty({
    colorize,
    sync: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    ...(destination ? { destination } : {}),
  });
}

/**
 * The gateway's logger: level names (`"level":"info"`) and ISO times (`"time":"2026-12-02T15:04:05.123Z"`).
 * Every string in a line (message, fields, child bindings, error messages and stacks)
 * has BSN-shaped numbers masked, and the fields in REDACT_PATHS are censored. Request ids and the like are
 * added by callers with `logger.child({ requestId })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? (options.destination ? 'json' : logFormat());
  const destination =
    format === 'pretty' ? prettyStream(options.destination as NodeJS.WritableStream | undefined) : options.destination;
  const logger = pino(
    {
      level: options.level ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { msg: (m: unknown) => (typeof m === 'string' ? redactBsn(m) : m) },
      formatters: {
        level: (label) => ({ level: label }),
        log: (o) => redactDeep(o) as Record<string, unknown>,
      },
    },
    destination,
  );
  // Child bindings bypass formatters.log, so they are masked here; grandchildren inherit this property.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactDeep(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

const MAX_DEPTH = 10;

/** A copy of the error, still an Error of the same class so pino serialises it as one, with texts masked. */
function redactError(err: Error, depth: number, seen: WeakSet<object>): Error {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error & Record<string, unknown>;
  for (const [k, v] of Object.entries(err)) copy[k] = redactDeep(v, depth + 1, seen);
  copy.message = redactBsn(err.message);
  if (err.stack !== undefined) copy.stack = redactBsn(err.stack);
  if (err.cause !== undefined) copy.cause = redactDeep(err.cause, depth + 1, seen);
  return copy;
}

/** A copy of `value` with BSN-shaped numbers masked in every string; binary data is summarised, not copied. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactBsn(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value;
  if (value instanceof Uint8Array) return `[binary ${value.byteLength} bytes]`;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactError(value, depth, seen);
    if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}
