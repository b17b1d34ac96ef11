/** The Redis the integration tests use: the machine's server unless XSAGA_TEST_REDIS_URL says otherwise. */
export const TEST_REDIS_URL = process.env.XSAGA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
