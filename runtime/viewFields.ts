import type { FieldMapping, ViewMappings } from './viewStore.ts';

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

/**
 * The nested field a dotted path lies in, if any (`lines` for `lines.sku` when `lines` is mapped
 * `nested`): the fields of one nested item are matched together, never across two items.
 */
export function nestedPathOf(mappings: ViewMappings, path: string): string | undefined {
  let properties: Readonly<Record<string, FieldMapping>> | undefined = mappings.properties;
  const keys = path.split('.');
  for (let depth = 0; depth < keys.length - 1 && properties; depth++) {
    const field: FieldMapping | undefined = properties[keys[depth]!];
    if (field?.type === 'nested') return keys.slice(0, depth + 1).join('.');
    properties = field?.properties;
  }
  return undefined;
}

/** Exact-value filters grouped by the nested field they lie in (`undefined`: none), each group to be matched by one item. */
export function groupByNested(mappings: ViewMappings, where: Readonly<Record<string, string>>): Map<string | undefined, [string, string][]> {
  const groups = new Map<string | undefined, [string, string][]>();
  for (const [path, value] of Object.entries(where)) {
    const nested = nestedPathOf(mappings, path);
    groups.set(nested, [...(groups.get(nested) ?? []), [path, value]]);
  }
  return groups;
}
