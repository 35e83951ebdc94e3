import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { calendarDay } from './istandaarden/dates.ts';
import type { GemeenteList } from './types.ts';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const code = z.string().regex(/^[0-9]{4}$/);

const Gemeente = z.object({
  code,
  name: z.string().min(1),
  province: z.string().min(1),
  /** First day of a gemeente formed after the list's history starts. */
  validFrom: day.optional(),
});

const Ended = Gemeente.extend({
  validUntil: day,
  mergedInto: code.optional(),
});

const GemeentenFile = z.object({
  edition: z.string().min(1),
  validOn: day,
  count: z.number().int(),
  source: z.record(z.string(), z.string()),
  gemeenten: z.array(Gemeente),
  ended: z.array(Ended),
});

export type GemeentenFile = z.infer<typeof GemeentenFile>;

export interface GemeenteRecord {
  code: string;
  name: string;
  province: string;
  validFrom?: string;
  validUntil?: string;
  mergedInto?: string;
}

/**
 * The CBS gemeentelijke indeling as data (data/cbs-gemeenten-*.json): the gemeenten of one edition plus the codes
 * that ended through recent herindelingen, each with the days it was valid. A code is valid on a day when it
 * is known and the day lies within its validity. After the edition's date the list cannot know later changes
 * and keeps answering from the edition; before the oldest recorded change it knows only the changes it lists.
 */
export class CbsGemeenteList implements GemeenteList {
  readonly edition: string;
  readonly validOn: string;
  readonly source: Record<string, string>;
  private readonly byCode = new Map<string, GemeenteRecord>();

  constructor(data: GemeentenFile) {
    this.edition = data.edition;
    this.validOn = data.validOn;
    this.source = data.source;
    if (data.gemeenten.length !== data.count) {
      throw new Error(`gemeente list ${data.edition}: count says ${data.count}, the list has ${data.gemeenten.length}`);
    }
    for (const g of [...data.gemeenten, ...data.ended]) {
      if (this.byCode.has(g.code)) throw new Error(`gemeente list ${data.edition}: code ${g.code} appears twice`);
      this.byCode.set(g.code, g);
    }
  }

  isValid(code: string, date: Date): boolean {
    const g = this.byCode.get(code);
    if (!g) return false;
    const d = calendarDay(date);
    return (g.validFrom === undefined || d >= g.validFrom) && (g.validUntil === undefined || d <= g.validUntil);
  }

  /** The record of a code, current or ended. */
  lookup(code: string): GemeenteRecord | undefined {
    return this.byCode.get(code);
  }

  /** Codes of the gemeenten valid on a day. */
  validCodes(date: Date): string[] {
    return [...this.byCode.keys()].filter((c) => this.isValid(c, date));
  }
}

export const DEFAULT_GEMEENTEN_FILE = fileURLToPath(new URL('../../data/cbs-gemeenten-2026.json', import.meta.url));

const cache = new Map<string, CbsGemeenteList>();

/** The gemeente list from a JSON file (default: the project's current CBS edition), read and checked once. */
export function loadGemeenten(file: string = DEFAULT_GEMEENTEN_FILE): CbsGemeenteList {
  let list = cache.get(file);
  if (!list) {
    list = new CbsGemeenteList(GemeentenFile.parse(JSON.parse(fs.readFileSync(file, 'utf8'))));
    cache.set(file, list);
  }
  return list;
}
