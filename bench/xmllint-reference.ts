/**
 * Native xmllint (libxml2-utils) validating the official WMO301 against the project's WMO301 schema: the
 * benchmarks' reference for how fast this machine is at the moment. bench:validate divides by it; bench:ingest
 * measures it beside the load, because a shared VM's cores run at very different speeds from hour to hour
 * (xmllint 96 µs per document on one day, 239 µs on the next, same machine kind, same code).
 *
 * One run validates the file `count` times in one process; its start-up and schema compile are measured with a
 * run of one and subtracted. CPU time is xmllint's own (user + system, as bash's `time` reports it).
 */
import { execFile, execFileSync } from 'node:child_process';
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

/**
 * One xmllint run over `count` copies: seconds of wall and CPU time. Asynchronous, so that bench:ingest's load
 * generator keeps posting meanwhile.
 */
function xmllintSeconds(example: string, count: number): Promise<Round> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile('bash', argsOf(example, count), { maxBuffer: 1 << 26 }, (error, _stdout, stderr) => {
      if (error) return reject(new Error(`xmllint failed (${error.code}): ${stderr}`));
      const [user, sys] = stderr.trim().split(/\s+/).slice(-2).map(Number) as [number, number];
      resolve({ wall: Number(process.hrtime.bigint() - t) / 1e9, cpu: user + sys });
    });
  });
}

/** µs per document (wall and CPU) of `n` validations, start-up and schema compile subtracted. */
export async function xmllintRound(example: string, n: number): Promise<Round> {
  const base = await xmllintSeconds(example, 1);
  const all = await xmllintSeconds(example, n);
  return { wall: ((all.wall - base.wall) * 1e6) / (n - 1), cpu: ((all.cpu - base.cpu) * 1e6) / (n - 1) };
}
