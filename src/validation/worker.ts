import { parentPort, workerData } from 'node:worker_threads';
import { SchemaPacks } from '../xml/packs.ts';
import { BerichtValidator, type ValidateOptions } from './validator.ts';
import type { ParseLimits } from '../xml/parse.ts';

/** A validation worker: compiles the schema packs once at start, then judges berichten posted to it. */
export interface WorkerRequest {
  id: number;
  source: Uint8Array;
  /** The caller's clock (ms since epoch), so a worker judges dates exactly as the main thread would. */
  now: number;
  options: ValidateOptions;
}

interface WorkerInit {
  schemasDir?: string;
  limits?: ParseLimits;
  rulesVersion?: string;
}

const init = workerData as WorkerInit;
let now = Date.now();
const validator = new BerichtValidator(SchemaPacks.load(init.schemasDir), {
  today: () => new Date(now),
  ...(init.limits ? { limits: init.limits } : {}),
  ...(init.rulesVersion ? { rulesVersion: init.rulesVersion } : {}),
});

parentPort!.on('message', (req: WorkerRequest) => {
  try {
    now = req.now;
    parentPort!.postMessage({ id: req.id, verdict: validator.validate(req.source, req.options) });
  } catch (e) {
    parentPort!.postMessage({ id: req.id, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort!.postMessage({ ready: true });
