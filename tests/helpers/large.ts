/** Large but valid berichten built from an official example, for off-the-event-loop and memory tests. */

/** Nine-digit numbers that pass the elfproef, from a running index (fictitious, for tests). */
export function elfproefBsn(i: number): string {
  for (let base = 10_000_000 + i * 7; ; base++) {
    const d = String(base).padStart(8, '0').split('').map(Number);
    const check = d.reduce((s, x, k) => s + x * (9 - k), 0) % 11;
    if (check < 10) return d.join('') + String(check);
  }
}

/**
 * A WMO323/JW323 declaratie of about `targetBytes`: the example's first Client repeated, each copy with its
 * own Bsn and ReferentieNummers, so that it stays valid against the schema and the duplicate-key rule, and the
 * TotaalIngediendBedrag recomputed (TR315/TR316).
 */
export function largeDeclaratie(example: string, targetBytes: number): string {
  const open = example.search(/<[\w]+:Client>/);
  const closes = [...example.matchAll(/<\/[\w]+:Client>/g)];
  if (open < 0 || closes.length === 0) throw new Error('no Client in the example');
  const firstEnd = closes[0]!.index! + closes[0]![0].length;
  const tailStart = closes[closes.length - 1]!.index! + closes[closes.length - 1]![0].length;
  const client = example.slice(open, firstEnd);
  const parts = [example.slice(0, open)];
  let size = open + (example.length - tailStart);
  for (let i = 0; size < targetBytes; i++) {
    const copy = client
      .replace(/(<[\w]+:Bsn>)\d{9}(<)/, `$1${elfproefBsn(i)}$2`)
      .replace(/(ReferentieNummer>)RN(\d+)(<)/g, `$1R${i}N$2$3`);
    parts.push(copy);
    size += copy.length;
  }
  parts.push(example.slice(tailStart));
  let total = 0;
  for (const copy of parts.slice(1, -1)) {
    for (const m of copy.matchAll(/<[\w]+:Bedrag>(\d+)<\/[\w]+:Bedrag>\s*<[\w]+:DebetCredit>([DC])</g))
      total += (m[2] === 'C' ? -1 : 1) * Number(m[1]);
  }
  parts[0] = parts[0]!.replace(
    /(<[\w]+:TotaalBedrag>)\d+(<\/[\w]+:TotaalBedrag>\s*<([\w]+):DebetCredit>)[DC]</,
    (_m, a: string, b: string) => `${a}${Math.abs(total)}${b}${total < 0 ? 'C' : 'D'}<`,
  );
  return parts.join('');
}
