import { ISTANDAARDEN } from './data/istandaarden.ts';
import { STUF } from './data/stuf.ts';
import type { CatalogueEntry } from './types.ts';

/** Every message the gateway knows, with typed lookups. The data lives in ./data; this module only indexes it. */
export class Catalogue {
  private readonly byNameIndex = new Map<string, CatalogueEntry>();
  private readonly byRootIndex = new Map<string, CatalogueEntry[]>();

  constructor(readonly entries: readonly CatalogueEntry[]) {
    for (const e of entries) {
      if (this.byNameIndex.has(e.name)) throw new Error(`catalogue: duplicate message name ${e.name}`);
      this.byNameIndex.set(e.name, e);
      const key = rootKey(e.namespace, e.rootElement);
      this.byRootIndex.set(key, [...(this.byRootIndex.get(key) ?? []), e]);
    }
  }

  byName(name: string): CatalogueEntry | undefined {
    return this.byNameIndex.get(name);
  }

  /** Entries whose root element and namespace are these (several for a shared root, none when unknown). */
  byRoot(namespace: string, localName: string): CatalogueEntry[] {
    return this.byRootIndex.get(rootKey(namespace, localName)) ?? [];
  }

  /** The entry for an iStandaarden BerichtCode within a standard. */
  byBerichtCode(standard: CatalogueEntry['standard'], code: string): CatalogueEntry | undefined {
    return this.entries.find((e) => e.standard === standard && e.berichtCode === code);
  }

  /** The retour the standard prescribes for a heenbericht (WMO301 → WMO302, WMO323 → WMO325). */
  retourOf(entry: CatalogueEntry): CatalogueEntry | undefined {
    return this.entries.find((e) => e.answers === entry.name && e.standard === entry.standard);
  }

  /** The heenbericht a retour answers. */
  heenOf(entry: CatalogueEntry): CatalogueEntry | undefined {
    return entry.answers ? this.byName(entry.answers) : undefined;
  }

  /** Schema pack ids the catalogue refers to. */
  packIds(): string[] {
    return [...new Set(this.entries.map((e) => e.schema.pack))];
  }
}

function rootKey(namespace: string, localName: string): string {
  return `{${namespace}}${localName}`;
}

export const catalogue = new Catalogue([...ISTANDAARDEN, ...STUF]);
