/** A state value as one dotted name: `{ compensating: { refundingPayment: 'parked' } }` → `compensating.refundingPayment.parked`. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined];
  return child === undefined ? key : `${key}.${stateName(child)}`;
}
