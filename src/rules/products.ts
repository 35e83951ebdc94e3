import fs from 'node:fs';

/** The standards whose product codes a product list can hold. */
export type ProductStandard = 'iwmo' | 'ijw';

/** Which ProductCode belongs to which ProductCategorie (the product list TR381 judges against). */
export interface ProductList {
  /** Where the list came from (file path or a name), for findings and beheer. */
  readonly source: string;
  /** True when the list has entries for the standard; a standard without entries is not judged. */
  covers(standard: ProductStandard): boolean;
  /** True when `code` is a product code of `categorie` in the standard. */
  fits(standard: ProductStandard, categorie: string, code: string): boolean;
}

/** An error in a product list file, with its line. */
export class ProductListError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

const STANDARDS = new Set<ProductStandard>(['iwmo', 'ijw']);
const CATEGORIE = /^[0-9A-Za-z]{2}$/;
const CODE = /^[0-9A-Za-z]{5}$/;

/**
 * Parses a product list: `standard;categorie;code` per line (header line `standard;categorie;code` and lines
 * starting with # skipped), code `*` for any code of the categorie. Every malformed line is an error with its
 * line number; a list without any entry is refused (it would reject every product).
 */
export function parseProductList(text: string, source: string): ProductList {
  const entries = new Map<ProductStandard, Map<string, Set<string>>>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || /^standard;categorie;code$/i.test(line)) return;
    const parts = line.split(';').map((p) => p.trim());
    const [standard, categorie, code] = parts as [string, string, string];
    if (parts.length !== 3) throw new ProductListError(source, i + 1, 'expected standard;categorie;code');
    if (!STANDARDS.has(standard as ProductStandard))
      throw new ProductListError(source, i + 1, `unknown standard ${standard} (iwmo or ijw)`);
    if (!CATEGORIE.test(categorie))
      throw new ProductListError(source, i + 1, `categorie ${categorie} is not 2 characters`);
    if (code !== '*' && !CODE.test(code))
      throw new ProductListError(source, i + 1, `code ${code} is not 5 characters or *`);
    const byCategorie = entries.get(standard as ProductStandard) ?? new Map<string, Set<string>>();
    const codes = byCategorie.get(categorie) ?? new Set<string>();
    codes.add(code);
    byCategorie.set(categorie, codes);
    entries.set(standard as ProductStandard, byCategorie);
  });
  if (entries.size === 0) throw new ProductListError(source, 1, 'the product list has no entries');
  return {
    source,
    covers: (standard) => entries.has(standard),
    fits(standard, categorie, code) {
      const codes = entries.get(standard)?.get(categorie);
      return codes !== undefined && (codes.has('*') || codes.has(code));
    },
  };
}

/** Reads a product list file (see parseProductList). */
export function loadProductList(file: string): ProductList {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(
      `product list ${file} (validation.productList) cannot be read: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return parseProductList(text, file);
}
