import type { IncomingMessage, ServerResponse } from 'node:http';
import { validationError } from '../runtime/errors.ts';

type Frame = { kind: 'object'; path: string; keys: Set<string>; key: string | undefined; expectKey: boolean } | { kind: 'array'; path: string; index: number };

const childPath = (parent: Frame | undefined): string => {
  if (!parent) return '';
  if (parent.kind === 'array') return `${parent.path}[${parent.index}]`;
  return parent.path === '' ? (parent.key ?? '') : `${parent.path}.${parent.key ?? ''}`;
};

/** Index of the quote that closes the string opening at `start`, or -1. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/**
 * The path (`items[0].sku`) of the first key that an object of `text` names twice, or undefined.
 * `JSON.parse` keeps the last of two equal keys where other parsers keep the first, so a body
 * that names a field twice means different orders to different readers. Keys compare as decoded
 * (`"a"` and `"\u0061"` are the same key). On text that is not JSON the answer does not matter:
 * the parser refuses it.
 *
 * @example
 * duplicateJsonKey('{"items":[{"sku":"A","sku":"B"}]}'); // 'items[0].sku'
 */
export function duplicateJsonKey(text: string): string | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const top = stack.at(-1);
    switch (text[i]) {
      case '{':
        stack.push({ kind: 'object', path: childPath(top), keys: new Set(), key: undefined, expectKey: true });
        break;
      case '[':
        stack.push({ kind: 'array', path: childPath(top), index: 0 });
        break;
      case '}':
      case ']':
        stack.pop();
        break;
      case ',':
        if (top?.kind === 'array') top.index++;
        else if (top) top.expectKey = true;
        break;
      case '"': {
        const end = endOfString(text, i);
        if (end < 0) return undefined;
        if (top?.kind === 'object' && top.expectKey) {
          let key: string;
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return undefined;
          }
          if (top.keys.has(key)) return top.path === '' ? key : `${top.path}.${key}`;
          top.keys.add(key);
          top.key = key;
          top.expectKey = false;
        }
        i = end;
        break;
      }
    }
  }
  return undefined;
}

/**
 * `express.json({ verify })` hook: refuses a body that names a key twice (400 naming its path) and
 * a charset other than UTF-8 (415), which RFC 8259 requires of JSON between systems and which the
 * check reads the body in.
 */
export function refuseDuplicateJsonKeys(_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string): void {
  if (encoding !== 'utf-8') throw Object.assign(new Error(`unsupported charset "${encoding.toUpperCase()}": send JSON as UTF-8`), { status: 415, type: 'charset.unsupported' });
  const path = duplicateJsonKey(body.toString('utf8'));
  if (path !== undefined) throw validationError([{ field: path, detail: 'is given more than once' }]);
}
