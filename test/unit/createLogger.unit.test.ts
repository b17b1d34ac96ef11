import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.ts';
import { createLogger } from '../../app/createLogger.ts';
import { withoutPassword } from '../../app/withoutPassword.ts';
import { isXsagaError } from '../../runtime/errors.ts';

/** A stream that keeps each line written to it (pino-pretty needs a real stream, pino takes one too). */
function written() {
  const texts: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      texts.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { texts, destination };
}

const SECRET = 's3cret-2f9c41';

describe('the production logger', () => {
  it('redacts payment tokens, bearer keys, API keys and passwords wherever a line nests them', () => {
    const { texts, destination } = written();
    const logger = createLogger({ level: 'info', destination, pretty: false });
    logger.info(
      {
        paymentToken: SECRET,
        order: { paymentToken: SECRET },
        message: { data: { paymentToken: SECRET } },
        envelope: { message: { data: { paymentToken: SECRET } } },
        headers: { authorization: `Bearer ${SECRET}` },
        req: { headers: { authorization: `Bearer ${SECRET}`, host: 'localhost' } },
        apiKey: SECRET,
        password: SECRET,
      },
      'everything at once',
    );
    expect(texts).toHaveLength(1);
    expect(texts[0]).not.toContain(SECRET);
    const line = JSON.parse(texts[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ order: { paymentToken: '[Redacted]' }, req: { headers: { authorization: '[Redacted]', host: 'localhost' } }, msg: 'everything at once' });
  });

  it('shows the server of a URL but not its password', () => {
    const { texts, destination } = written();
    const logger = createLogger({ level: 'info', destination, pretty: false }).child({ roles: 'worker' });
    logger.info(
      { pgUrl: `postgres://xsaga:${SECRET}@db.internal:5432/orders`, redisUrl: `redis://:${SECRET}@cache:6379`, servers: { connectionString: `postgresql://u:${SECRET}@h/db` }, elasticsearchUrl: 'http://127.0.0.1:9200' },
      'xsaga starting',
    );
    expect(texts[0]).not.toContain(SECRET);
    expect(JSON.parse(texts[0]!)).toMatchObject({
      roles: 'worker',
      pgUrl: 'postgres://xsaga:****@db.internal:5432/orders',
      redisUrl: 'redis://:****@cache:6379',
      servers: { connectionString: 'postgresql://u:****@h/db' },
      elasticsearchUrl: 'http://127.0.0.1:9200',
    });
  });

  it('writes nothing below its level, and errors with their type, message and stack', () => {
    const { texts, destination } = written();
    const logger = createLogger({ level: 'warn', destination, pretty: false });
    logger.debug({ sagaId: 'o-1' }, 'saga moved');
    logger.info('xsaga ready');
    logger.warn({ err: new TypeError('broken') }, 'something failed');
    expect(texts.map((text) => JSON.parse(text))).toEqual([
      expect.objectContaining({ level: 'warn', name: 'xsaga', msg: 'something failed', err: expect.objectContaining({ type: 'TypeError', message: 'broken', stack: expect.stringContaining('TypeError: broken') }) }),
    ]);
  });

  it('writes for a person when asked to: one readable line, no JSON', () => {
    const { texts, destination } = written();
    createLogger({ level: 'info', destination, pretty: true }).info({ sagaId: 'o-1', paymentToken: SECRET }, 'xsaga ready: api');
    const text = texts.join('\n');
    expect(text).toMatch(/INFO.*xsaga ready: api/);
    expect(text).toContain('sagaId');
    expect(text).not.toContain(SECRET);
    expect(() => JSON.parse(texts[0]!)).toThrow();
  });
});

describe('withoutPassword', () => {
  it.each([
    [`postgres://xsaga:${SECRET}@db:5432/x`, 'postgres://xsaga:****@db:5432/x'],
    [`redis://:${SECRET}@cache:6379/0`, 'redis://:****@cache:6379/0'],
    [`could not reach rediss://u:${SECRET}@a:1 and postgres://v:${SECRET}@b/c`, 'could not reach rediss://u:****@a:1 and postgres://v:****@b/c'],
    [`postgres://u:p@${SECRET}@db/x`, 'postgres://u:****@db/x'],
    ['postgres://xsaga@db:5432/x', 'postgres://xsaga@db:5432/x'],
    ['http://127.0.0.1:9200/_cluster/health', 'http://127.0.0.1:9200/_cluster/health'],
  ])('%s → %s', (text, masked) => {
    expect(withoutPassword(text)).toBe(masked);
  });

  it('keeps a password out of the configuration error that quotes a bad URL', () => {
    const env = { XSAGA_MODE: 'production', XSAGA_PG_URL: `mysql://xsaga:${SECRET}@db/x`, XSAGA_KAFKA_BROKERS: '127.0.0.1:9092', XSAGA_ES_URL: 'http://127.0.0.1:9200', XSAGA_REDIS_URL: 'redis://127.0.0.1:6379', XSAGA_ROLES: 'worker' };
    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      thrown = error;
    }
    expect(isXsagaError(thrown, 'CONFIG')).toBe(true);
    expect((thrown as Error).message).toContain('mysql://xsaga:****@db/x');
    expect((thrown as Error).message).not.toContain(SECRET);
  });

  it('takes its level from XSAGA_LOG_LEVEL, info by default, and refuses a level pino does not know', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ XSAGA_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(() => loadConfig({ XSAGA_LOG_LEVEL: 'verbose' })).toThrow(/XSAGA_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
  });
});
