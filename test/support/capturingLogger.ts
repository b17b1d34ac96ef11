import type { LogFields, Logger, LogLevel } from '../../runtime/logger.ts';

/** One line as the code under test wrote it: bindings and fields merged, errors as they were thrown. */
export type CapturedLine = Readonly<{ level: LogLevel; msg: string; fields: LogFields }>;

export type CapturingLogger = Readonly<{
  logger: Logger;
  lines: CapturedLine[];
  /** The messages written so far, in order. */
  messages(): string[];
  /** Each line as one text, errors with their message and stack: what a search for a leaked string must cover. */
  texts(): string[];
}>;

const asText = (line: CapturedLine): string =>
  JSON.stringify({ level: line.level, msg: line.msg, ...line.fields }, (_key, value: unknown) =>
    value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value,
  );

/**
 * A logger that keeps every line in memory, for tests that check what was logged at which level.
 * It is the port only: what pino makes of a line (redaction, serialisation) is tested against pino.
 */
export function capturingLogger(): CapturingLogger {
  const lines: CapturedLine[] = [];
  const make = (bindings: LogFields): Logger => {
    const at =
      (level: LogLevel) =>
      (fieldsOrMessage: LogFields | string, message?: string): void => {
        if (typeof fieldsOrMessage === 'string') lines.push({ level, msg: fieldsOrMessage, fields: bindings });
        else lines.push({ level, msg: message ?? '', fields: { ...bindings, ...fieldsOrMessage } });
      };
    return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (more) => make({ ...bindings, ...more }) };
  };
  return { logger: make({}), lines, messages: () => lines.map((line) => line.msg), texts: () => lines.map(asText) };
}
