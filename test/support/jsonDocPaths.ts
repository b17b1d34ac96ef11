import type { JsonDoc, JsonEntry } from './hostileValues.ts';

/** Where a value sits in a document: keys and array indexes. */
export type Path = readonly (string | number)[];

/** `items[0].quantity`: how the API names a field in `errors`. */
export const fieldPath = (path: Path): string => path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

function edit(doc: JsonDoc, path: Path, change: (parent: JsonDoc, last: string | number) => JsonDoc): JsonDoc {
  const [head, ...rest] = path;
  if (head === undefined) throw new Error('empty path');
  if (rest.length === 0) return change(doc, head);
  const child = (value: JsonDoc): JsonDoc => edit(value, rest, change);
  if ('array' in doc) return { array: doc.array.map((item, i) => (i === head ? child(item) : item)) };
  if ('object' in doc) return { object: doc.object.map(([key, value, keyText]): JsonEntry => (key === head ? [key, child(value), keyText] : [key, value, keyText])) };
  throw new Error(`no ${String(head)} in a leaf`);
}

/** `doc` with the value at `path` replaced (or added, for a key the object lacks). */
export const setAt = (doc: JsonDoc, path: Path, value: JsonDoc): JsonDoc =>
  edit(doc, path, (parent, last) => {
    if ('array' in parent) return { array: parent.array.map((item, i) => (i === last ? value : item)) };
    if (!('object' in parent)) throw new Error('not a container');
    const has = parent.object.some(([key]) => key === last);
    return { object: has ? parent.object.map((entry): JsonEntry => (entry[0] === last ? [entry[0], value] : entry)) : [...parent.object, [String(last), value]] };
  });

/** `doc` without the key at `path`. */
export const removeAt = (doc: JsonDoc, path: Path): JsonDoc => edit(doc, path, (parent, last) => ('object' in parent ? { object: parent.object.filter(([key]) => key !== last) } : parent));

/** `doc` with `entry` added to the object at `path` (the root when empty), at `position` of its entries. */
export function addEntry(doc: JsonDoc, path: Path, entry: JsonEntry, position: number): JsonDoc {
  const add = (object: JsonDoc): JsonDoc => {
    if (!('object' in object)) throw new Error('not an object');
    const at = position % (object.object.length + 1);
    return { object: [...object.object.slice(0, at), entry, ...object.object.slice(at)] };
  };
  return path.length === 0 ? add(doc) : edit(doc, path, (parent, last) => setAt(parent, [last], add(entryOf(parent, last))));
}

/** The value under `last` of `parent`. */
const entryOf = (parent: JsonDoc, last: string | number): JsonDoc => {
  const found = 'array' in parent ? parent.array[last as number] : 'object' in parent ? parent.object.find(([key]) => key === last)?.[1] : undefined;
  if (!found) throw new Error(`no ${String(last)}`);
  return found;
};

/** The value at `path`. */
export const getAt = (doc: JsonDoc, path: Path): JsonDoc => path.reduce(entryOf, doc);
