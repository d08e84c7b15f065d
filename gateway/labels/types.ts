/** A code's label: Chinese first (the agents' language), English second. */
export interface Label {
  zh: string;
  en: string;
}

/** One domain of codes: code → label. */
export type Labels = Readonly<Record<string, Label>>;
