/**
 * A state value as one name: nested states dotted (`{ compensating: { refundingPayment: 'parked' } }`
 * → `compensating.refundingPayment.parked`), the regions of a parallel state each as a whole path,
 * joined by `, ` (`processing.refund.refunded, processing.restock.restocking`).
 */
export function stateName(value: unknown): string {
  return statePaths(value).join(', ');
}

function statePaths(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  const entries = Object.entries((value ?? {}) as Record<string, unknown>);
  if (entries.length === 0) return ['?'];
  return entries.flatMap(([key, child]) => (child === undefined ? [key] : statePaths(child).map((path) => `${key}.${path}`)));
}
