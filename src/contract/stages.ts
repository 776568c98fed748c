/** Lifecycle stages along the customer journey, plus the three risk stages. */
export const STAGES = [
  'awareness',
  'nurture',
  'evaluation',
  'first_purchase',
  'repeat',
  'advocate',
  'at_risk',
  'lapsed',
  'churned',
] as const;

/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];
