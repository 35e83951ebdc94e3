import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { SchemaPacks } from '../xml/packs.ts';
import type { ParseLimits } from '../xml/parse.ts';
import { BerichtValidator, type ValidateOptions } from './validator.ts';
import type { Verdict } from './verdict.ts';

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
  productListFile?: string;
}

const init = workerData as WorkerInit;
let now = Date.now();
const validator = new BerichtValidator(SchemaPacks.load(init.schemasDir), {
  today: () => new Date(now),
  ...(init.limits ? { limits: init.limits } : {}),
  ...(init.rulesVersion ? { rulesVersion: init.rulesVersion } : {}),
  ...(init.productListFile ? { productListFile: init.productListFile } : {}),
});

/** What the worker answers per request: the verdict, or why there is none. */
export type WorkerAnswer =
  | { id: number; verdict: Verdict; error?: undefined }
  | { id: number; verdict?: undefined; error: string };

// Requests come in batches (one per event-loop turn of the caller) and are answered in one message.
parentPort!.on('message', (batch: WorkerRequest[]) => {
  const answers: WorkerAnswer[] = [];
  for (const req of batch) {
    try {
      now = req.now;
      answers.push({ id: req.id, verdict: validator.validate(req.source, req.options) });
    } catch (e) {
      answers.push({ id: req.id, error: e instanceof Error ? e.message : String(e) });
    }
    // A large document leaves a large tree behind; V8 would let such garbage pile up to a far larger heap before
    // collecting it. Collecting now keeps the process's memory near what one document needs.
    if (req.source.byteLength >= LARGE_DOCUMENT_BYTES) collect?.();
  }
  parentPort!.postMessage(answers);
});

const LARGE_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** V8's gc(), made reachable in this worker only (a fresh context sees it once the flag is set). */
const collect = ((): (() => void) | undefined => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();
parentPort!.postMessage({ ready: true });
