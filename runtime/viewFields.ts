/**
 * The values at a dotted path of a view, through arrays and nested objects; nulls and absent fields
 * give none. `valuesAt(order, 'items.sku')` is the SKU of every item.
 */
export function valuesAt(view: unknown, path: string): unknown[] {
  let found: unknown[] = [view];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const value of found.flatMap((v) => (Array.isArray(v) ? v : [v]))) {
      if (value !== null && typeof value === 'object' && key in value) next.push((value as Record<string, unknown>)[key]);
    }
    found = next;
  }
  return found.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null && v !== undefined);
}

/** The words free text searches in a view: the non-empty values of its text fields, in field order. */
export function searchWordsOf(view: unknown, textFields: readonly string[]): string[] {
  return textFields.flatMap((field) => valuesAt(view, field).map(String)).filter((word) => word !== '');
}
