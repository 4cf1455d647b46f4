/**
 * Why a person rejects an image: the closed list of src/feedback/events.ts
 * (REJECT_REASONS; test/web-logic.test.ts checks that the two agree), in
 * words people read.
 */
export const REJECT_REASONS = ['not-what-i-asked', 'wrong-colours', 'badly-drawn', 'offensive', 'other'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const REJECT_TEXT: Record<RejectReason, string> = {
  'not-what-i-asked': 'Not what I asked for',
  'wrong-colours': 'Wrong colours',
  'badly-drawn': 'Badly drawn',
  offensive: 'Offensive or harmful',
  other: 'Something else',
};
