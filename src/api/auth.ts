/** Bearer-token authentication for the /v2 routes, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { fail } from '../errors.js';

/** Hashing first gives both sides one length, so the comparison leaks neither content nor length. */
const digest = (text: string) => createHash('sha256').update(text).digest();

/** A check of an Authorization header that throws GSW_ERR_UNAUTHORIZED unless it carries the token. */
export function bearerCheck(token: string): (authorization: string | undefined) => void {
  const expected = digest(token);
  return (authorization) => {
    const given = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
    if (!timingSafeEqual(digest(given), expected)) {
      fail('GSW_ERR_UNAUTHORIZED', 'a valid Authorization: Bearer token is required');
    }
  };
}
