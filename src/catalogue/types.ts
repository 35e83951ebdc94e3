/** The families of berichten the gateway knows. */
export type Standard = 'iwmo' | 'ijw' | 'ieb' | 'ipgb' | 'stuf-jz' | 'stuf' | 'ggk';

/** A heenbericht starts a conversation; a retour (or StUF answer) answers one. */
export type Direction = 'heen' | 'retour';

/** Parties' roles, as used for sender → receiver in the catalogue. */
export type Role =
  | 'gemeente'
  | 'aanbieder'
  | 'cak'
  | 'svb'
  | 'zorgkantoor'
  | 'rvdk'
  | 'cjib'
  | 'gecertificeerde-instelling'
  | 'veilig-thuis'
  | 'politie'
  | 'halt'
  | 'verzoeker'
  | 'gegevenshouder'
  | 'melder'
  | 'ontvanger'
  | 'ggk'
  | 'corv'
  | 'any';

/** Where the XSD for a message lives: a schema pack id and the pack's key for the message. */
export interface SchemaRef {
  pack: string;
  message: string;
}

export interface CatalogueEntry {
  /** The standard's own name of the message: WMO301, JW325, WMO405, vtoDi01, Fo03, ggk_Di01 … */
  name: string;
  standard: Standard;
  release: string;
  title: string;
  sender: Role[];
  receiver: Role[];
  /** iStandaarden BerichtCode (header pin), when the standard fixes one. */
  berichtCode?: string;
  /** StUF `stuurgegevens/berichtcode` (Di01, Du01, Bv01, Bv03, Fo01, Fo03). */
  stufBerichtcode?: string;
  /** StUF `stuurgegevens/functie`, when the message carries one. */
  functie?: string;
  namespace: string;
  rootElement: string;
  direction: Direction;
  /** Names of the messages that answer this one. */
  answeredBy: string[];
  /** Name of the message this one answers. */
  answers?: string;
  schema: SchemaRef;
  /** Status of the facts behind the entry, as tagged in standards.md: C confirmed, S specified, M modelled. */
  status: 'C' | 'S' | 'M';
}
