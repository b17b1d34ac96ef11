import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS whose module.exports is the function, while its typings declare a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** A real answer, as the client got it. */
export type ObservedResponse = Readonly<{
  method: string;
  /** The path template of the document the request was made from: `/orders/{id}`. */
  path: string;
  status: number;
  headers: Headers;
  body: string;
}>;

type HeaderObject = Readonly<{ required?: boolean; schema?: object }>;
type ResponseObject = Readonly<{ headers?: Readonly<Record<string, HeaderObject>>; content?: Readonly<Record<string, unknown>> }>;
type OpenApiDocument = Readonly<{ paths: Readonly<Record<string, Readonly<Record<string, { responses: Readonly<Record<string, ResponseObject>> }>>>> }>;

const DOCUMENT_ID = 'https://xsaga.invalid/openapi.json';
/** RFC 6901: how a key is written in a JSON pointer. */
const pointer = (...keys: readonly string[]): string => keys.map((key) => key.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const isJson = (mediaType: string): boolean => mediaType === 'application/json' || mediaType.endsWith('+json');

/**
 * Checks real answers against an OpenAPI 3.1 document with a JSON Schema 2020-12 validator (ajv):
 * the status is one the operation lists (not only `default`), the content type one it lists for
 * that status, a JSON body matches its schema, and each header it declares is there when required
 * and matches its schema. Returns what is wrong, empty when nothing is.
 *
 * @example
 * const check = responseChecker(document);
 * expect(check({ method: 'GET', path: '/orders/{id}', status, headers, body })).toEqual([]);
 */
export function responseChecker(document: OpenApiDocument): (response: ObservedResponse) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // The document's own members (`openapi`, `paths`, …) are no JSON Schema keywords: known here, they keep strict mode for the schemas in it.
  ajv.addVocabulary(Object.keys(document));
  // The document as one schema resource: each response schema is compiled from its place in it, so its `$ref`s resolve.
  ajv.addSchema({ $id: DOCUMENT_ID, ...(document as object) }, undefined, undefined, false);
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (at: string): ValidateFunction => {
    let validate = compiled.get(at);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/${at}` });
      compiled.set(at, validate);
    }
    return validate;
  };
  const errorsOf = (validate: ValidateFunction, value: unknown): string[] =>
    validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);

  return (response) => {
    const method = response.method.toLowerCase();
    const where = `${response.method} ${response.path} → ${response.status}`;
    const operation = document.paths[response.path]?.[method];
    if (!operation) return [`${where}: the document has no such operation`];
    const answer = operation.responses[String(response.status)];
    if (!answer) return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    const at = pointer('paths', response.path, method, 'responses', String(response.status));
    const problems: string[] = [];
    for (const [name, header] of Object.entries(answer.headers ?? {})) {
      const value = response.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: header ${name} is missing`);
        continue;
      }
      if (header.schema) problems.push(...errorsOf(validatorAt(`${at}/${pointer('headers', name, 'schema')}`), value).map((e) => `${where}: header ${name}: ${e}`));
    }
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (!answer.content) {
      if (response.body !== '') problems.push(`${where}: a body (${mediaType}) where the document declares none`);
      return problems;
    }
    if (mediaType === undefined || !(mediaType in answer.content)) {
      problems.push(`${where}: content type ${mediaType} not documented (documented: ${Object.keys(answer.content).join(', ')})`);
      return problems;
    }
    if (!isJson(mediaType)) return problems;
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [...problems, `${where}: the ${mediaType} body is not JSON`];
    }
    problems.push(...errorsOf(validatorAt(`${at}/${pointer('content', mediaType, 'schema')}`), body).map((e) => `${where}: body ${e}`));
    return problems;
  };
}
