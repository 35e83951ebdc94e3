/** The transport contract against the embedded transport over SQLite. */
import { join } from 'node:path';
import { defaultAdapterRegistry } from '../../adapters/registry.ts';
import { createLogger } from '../../src/log.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { EmbeddedTransport } from '../../src/transport/embedded.ts';
import type { Transport } from '../../src/transport/types.ts';
import { transportContract } from '../contract/transport.contract.ts';
import { tempDir } from '../helpers/temp.ts';

transportContract('embedded', async () => {
  const dir = tempDir('schakel-transport-contract-');
  const store = openSqliteStore({ file: join(dir.path, 'schakel.sqlite') });
  const started: Transport[] = [];
  return {
    store,
    async start({ destinations, retry, concurrency }) {
      const transport = new EmbeddedTransport({
        store,
        adapters: defaultAdapterRegistry(),
        destinations,
        retry,
        concurrency: concurrency ?? 4,
        // Only kicks and the schedule wake it: a poll would take longer than any test waits.
        pollIntervalMs: 60_000,
        leaseMs: 60_000,
        logger: createLogger({ level: 'silent' }),
      });
      started.push(transport);
      await transport.start();
      return transport;
    },
    async dispose() {
      for (const t of started.splice(0)) await t.stop({ abortAfterMs: 0 });
      await store.close();
      dir.remove();
    },
  };
});
