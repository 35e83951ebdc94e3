import type { HeaderFacts } from '../catalogue/header.ts';
import type { Direction, Standard } from '../catalogue/types.ts';
import type { Finding } from './finding.ts';

/** What the gateway says about one bericht: what it is, and whether it is valid at level 1 and overall. */
export interface Verdict {
  /** The catalogue name (WMO301, vtoDi01, ggk_Di01 …), or null when not recognised. */
  message: string | null;
  standard: Standard | null;
  release: string | null;
  direction: Direction | null;
  header: HeaderFacts;
  /** Level 1 alone: well-formed, recognised and valid against the message's XSD. */
  xsdValid: boolean;
  /** Level 1 and every applicable technical rule. */
  valid: boolean;
  findings: Finding[];
  /** For a GGK envelope: the verdict on the bericht it carries. */
  payload?: Verdict;
  /** On an envelope's payload verdict: sha256 (hex) of the carried bericht, what a repeat is compared on. */
  sha256?: string;
  /** The retourbericht the standard prescribes for a rejected heenbericht, when asked for and one exists. */
  retour?: string;
}
