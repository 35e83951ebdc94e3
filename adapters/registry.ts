import type { Adapter, AdapterName, DestinationConfig } from './types.ts';
import { webhookAdapter } from './webhook/index.ts';

/** Adapter name → implementation. */
export class AdapterRegistry {
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
}

/** The adapters built so far. GGK, CORV and AMQP destinations are accepted by the config but not yet served. */
export function defaultAdapterRegistry(): AdapterRegistry {
  return new AdapterRegistry([webhookAdapter()]);
}
