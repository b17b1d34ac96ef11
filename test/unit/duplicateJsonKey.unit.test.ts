import { describe, expect, it } from 'vitest';
import { duplicateJsonKey } from '../../api/duplicateJsonKey.ts';

describe('duplicateJsonKey', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"a":{"b":1,"c":{"d":[1,{"e":1,"e":2}]}}}', 'a.c.d[1].e'],
    ['[[1],[2,{"x":1,"x":1}]]', '[1][1].x'],
    ['{"a":1,"\\u0061":2}', 'a'],
    ['{"__proto__":1,"__proto__":2}', '__proto__'],
    ['{"s":"},{\\"s\\":1,","s":2}', 's'],
  ])('finds the key %s names twice at %s', (text, path) => {
    expect(duplicateJsonKey(text)).toBe(path);
    // JSON.parse takes each of these without a word, keeping the last value.
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it.each([
    '{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}',
    '{"a":"\\"a\\":1,\\"a\\":2"}',
    '["a","a"]',
    '{"a":{"x":1},"b":{"x":1}}',
  ])('finds none in %s', (text) => {
    expect(duplicateJsonKey(text)).toBeUndefined();
  });
});
