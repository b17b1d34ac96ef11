/** A URL's user info with a password in it: `scheme://user:` then the password up to the last `@` of the authority. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:)[^\s/]*@/gi;

/**
 * Every URL in `text` with its password masked, the rest kept so that the server is still named:
 * configuration errors and log fields show where xsaga connects, never how it signs in.
 *
 * @example
 * withoutPassword('postgres://xsaga:s3cret@db:5432/orders'); // 'postgres://xsaga:****@db:5432/orders'
 */
export function withoutPassword(text: string): string {
  return text.replace(URL_PASSWORD, '$1****@');
}
