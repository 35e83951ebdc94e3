import type { MessageStore } from '../src/store/types.ts';
import type { Adapter, AdapterLookup, AdapterName, DestinationConfig } from '../src/transport/adapter.ts';
import { amqpAdapter } from './amqp/index.ts';
import { corvAdapter } from './corv/index.ts';
import { storedHeenReferentienummer } from './ggk/heen.ts';
import { ggkAdapter } from './ggk/index.ts';
import { webhookAdapter } from './webhook/index.ts';

/** Adapter name → implementation. */
export class AdapterRegistry implements AdapterLookup {
  private readonly byName = new Map<string, Adapter>();

  constructor(adapters: readonly Adapter[]) {
    for (const a of adapters) {
      if (this.byName.has(a.name)) throw new Error(`adapter "${a.name}" registered twice`);
      this.byName.set(a.name, a);
    }
  }

  get(name: AdapterName): Adapter | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Destinations whose adapter is not available, so startup can refuse a configuration it cannot serve. */
  unsupported(destinations: readonly DestinationConfig[]): DestinationConfig[] {
    return destinations.filter((d) => !this.byName.has(d.adapter));
  }

  /** Closes every adapter that keeps something open (broker connections); errors are swallowed. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.byName.values()].map((a) => a.close?.()));
  }
}

/** What adapters may need from the gateway: the store lets the GGK adapter find a heenbericht's GGK referentienummer. */
export interface AdapterDeps {
  store?: Pick<MessageStore, 'getBody'>;
}

/** Every adapter: webhook, amqp, ggk, corv. */
export function defaultAdapterRegistry(deps: AdapterDeps = {}): AdapterRegistry {
  return new AdapterRegistry([
    webhookAdapter(),
    amqpAdapter(),
    ggkAdapter(deps.store ? { heenReferentienummer: storedHeenReferentienummer(deps.store) } : {}),
    corvAdapter(),
  ]);
}
