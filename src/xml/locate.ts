/**
 * Source positions for findings. libxml2 reports the line of a schema error but no column; the column of an
 * element is the position of its start tag on that line, found here once per finding.
 */
export class SourceLocator {
  private lineStarts: number[] | null = null;
  private text: string | null = null;

  constructor(private readonly source: Uint8Array) {}

  /** 1-based column of the start tag `<[prefix:]localName` on `line`, or 1 when it is not on that line. */
  columnOf(line: number, localName: string): number {
    const lineText = this.line(line);
    if (lineText === undefined) return 1;
    const re = new RegExp(`<(?:[\\w.-]+:)?${escapeRegExp(localName)}(?=[\\s/>])`);
    const m = re.exec(lineText);
    return m ? m.index + 1 : firstNonSpace(lineText);
  }

  private line(line: number): string | undefined {
    if (!this.text) {
      this.text = new TextDecoder().decode(this.source);
      const starts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
      this.lineStarts = starts;
    }
    const starts = this.lineStarts!;
    const start = starts[line - 1];
    if (start === undefined) return undefined;
    const end = starts[line] ?? this.text.length;
    return this.text.slice(start, end);
  }
}

/** The local name of the last step of a libxml2 element path (`/a:Bericht/a:Client[2]/a:Bsn` → `Bsn`). */
export function lastStepName(xpath: string): string {
  const step = xpath.slice(xpath.lastIndexOf('/') + 1);
  return step.replace(/\[\d+\]$/, '').replace(/^[^:]*:/, '');
}

function firstNonSpace(s: string): number {
  const i = s.search(/\S/);
  return i < 0 ? 1 : i + 1;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
