/**
 * Native xmllint (libxml2-utils) validating the official WMO301 against the project's WMO301 schema: the
 * benchmarks' reference for how fast this machine is at the moment. bench:validate divides by it; bench:ingest
 * measures it beside the load, because a shared VM's cores run at very different speeds from hour to hour
 * (xmllint 96 µs per document on one day, 239 µs on the next, same machine kind, same code).
 *
 * One run validates the file `count` times in one process; its start-up and schema compile are measured with a
 * run of one and subtracted. CPU time is xmllint's own (user + system, as bash's `time` reports it).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_SCHEMAS_DIR } from '../src/xml/packs.ts';

export const WMO301_SCHEMA = path.join(DEFAULT_SCHEMAS_DIR, 'iwmo/3.2/WMO301.xsd');

/** Wall and CPU time: seconds for one run, µs per document for a reference. */
export interface Round {
  wall: number;
  cpu: number;
}

/** Whether xmllint can be run here. */
export function xmllintAvailable(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The schema and the files are bash's arguments ($0, $@): a script holding them all would pass the limit of one
// argument's length.
const SCRIPT = `TIMEFORMAT='%U %S'; time xmllint --noout --nonet --schema "$0" "$@" 2>/dev/null`;
const argsOf = (example: string, count: number) => ['-c', SCRIPT, WMO301_SCHEMA, ...Array<string>(count).fill(example)];

function parseTimes(status: number | null, stderr: string, wall: number): Round {
  if (status !== 0) throw new Error(`xmllint failed (${status}): ${stderr}`);
  const [user, sys] = stderr.trim().split(/\s+/).slice(-2).map(Number) as [number, number];
  return { wall, cpu: user + sys };
}

/** One synchronous xmllint run over `count` copies: seconds of wall and CPU time. */
export function xmllintSeconds(example: string, count: number): Round {
  const t = process.hrtime.bigint();
  const run = spawnSync('bash', argsOf(example, count), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  if (run.error) throw run.error;
  return parseTimes(run.status, run.stderr.toString(), Number(process.hrtime.bigint() - t) / 1e9);
}

/** The same without blocking the event loop (bench:ingest's load generator keeps posting meanwhile). */
export function xmllintSecondsAsync(example: string, count: number): Promise<Round> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile('bash', argsOf(example, count), { maxBuffer: 1 << 26 }, (error, _stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      try {
        resolve(parseTimes(error ? Number(error.code) : 0, stderr, Number(process.hrtime.bigint() - t) / 1e9));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** µs per document (wall and CPU) of `n` validations, start-up and schema compile subtracted. */
export function xmllintRound(example: string, n: number): Round {
  const base = xmllintSeconds(example, 1);
  const all = xmllintSeconds(example, n);
  return { wall: ((all.wall - base.wall) * 1e6) / (n - 1), cpu: ((all.cpu - base.cpu) * 1e6) / (n - 1) };
}

/** `xmllintRound` without blocking the event loop. */
export async function xmllintRoundAsync(example: string, n: number): Promise<Round> {
  const base = await xmllintSecondsAsync(example, 1);
  const all = await xmllintSecondsAsync(example, n);
  return { wall: ((all.wall - base.wall) * 1e6) / (n - 1), cpu: ((all.cpu - base.cpu) * 1e6) / (n - 1) };
}
