/**
 * Wiring, the composition root: which store, which transport and which adapters a configuration asks for. The
 * only file of src/ that imports adapters/ (tests/unit/structure.test.ts); gateway.ts runs what it builds.
 *
 * The two deployments behind one code path:
 *
 * - embedded (default): SQLite in the data folder, the in-process transport over its outbox. One instance.
 * - scale-out: `store: { kind: postgres }` and `transport: { kind: rabbitmq }`, any number of instances sharing
 *   the database and the broker (see docs/architecture.md, "Scale-out").
 *
 * Other combinations work too (PostgreSQL with the embedded transport: several instances leasing with SKIP
 * LOCKED; RabbitMQ over SQLite: one instance).
 */
import { defaultAdapterRegistry } from '../adapters/registry.ts';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { ChainHistory } from './pipeline/history.ts';
import type { BodyCipher } from './security/body-cipher.ts';
import { bodyCipherFromConfig } from './security/body-keys.ts';
import { openPostgresStore, PostgresStore } from './store/postgres.ts';
import { openSqliteStoreFromConfig } from './store/sqlite.ts';
import type { MessageStore } from './store/types.ts';
import type { AdapterLookup } from './transport/adapter.ts';
import type { DeliveryTls } from './transport/delivery.ts';
import { embeddedTransportFromConfig } from './transport/embedded.ts';
import { rabbitMqTransportFromConfig } from './transport/rabbitmq.ts';
import type { Transport } from './transport/types.ts';

/**
 * The configured store. A PostgreSQL store migrates in the background; its calls wait for that, and
 * `storeReady` says when it is done (or why it failed).
 */
export function openStore(config: Pick<Config, 'store' | 'dataDir' | 'limits'>): MessageStore {
  const store = config.store;
  // Encryption at rest (docs/encryption.md): the configured keys, else the store's generated key.
  const sealing: { cipher?: BodyCipher; bsnIndexSecret?: Buffer } = {};
  if (store.encryption) sealing.cipher = bodyCipherFromConfig(store.encryption);
  const historyKey = ChainHistory.keyFromEnv();
  if (historyKey) sealing.bsnIndexSecret = historyKey;
  if (store.kind === 'postgres') {
    return openPostgresStore({
      url: store.url,
      poolSize: store.poolSize,
      schema: store.schema ?? null,
      migrate: store.migrateOnStart,
      listPageMax: config.limits.listPageMax,
      answerExcerptChars: config.limits.answerExcerptChars,
      ...sealing,
    });
  }
  return openSqliteStoreFromConfig(config, sealing);
}

/** Resolves once the store can be used; rejects when it cannot open (unreachable, newer schema). */
export async function storeReady(store: MessageStore): Promise<void> {
  if (store instanceof PostgresStore) await store.ready;
}

/**
 * The configured transport over `store`. Its `start()` first waits for the store to be ready, so a gateway
 * whose database cannot be reached fails at startup instead of answering 500s. Throws when a destination names
 * an adapter that is not available.
 */
export function createTransport(
  config: Pick<Config, 'destinations' | 'retry' | 'transport'>,
  store: MessageStore,
  logger: Logger,
  // The GGK adapter reads the envelope a heenbericht arrived in from the store, to answer it with a ggk_Du01.
  adapters: AdapterLookup = defaultAdapterRegistry({ store }),
  tls?: DeliveryTls,
): Transport {
  const transport =
    config.transport.kind === 'rabbitmq'
      ? rabbitMqTransportFromConfig({ ...config, transport: config.transport }, store, logger, adapters, tls)
      : embeddedTransportFromConfig(config, store, logger, adapters, tls);
  return {
    async start() {
      await storeReady(store);
      await transport.start();
    },
    async stop(options) {
      try {
        await transport.stop(options);
      } finally {
        // After the last delivery: the adapters' broker connections.
        await adapters.close();
      }
    },
    kick: () => transport.kick(),
  };
}
