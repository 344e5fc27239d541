/**
 * Bearer-token authentication, decided on the route the request matched (never on the URL text,
 * which the router decodes differently: `/%762/ingest` and absolute-form request lines reach
 * `/v2/ingest`). Deny by default: every route, including the not-found handler, needs the token
 * unless its config says `public: true`, so routes added later are protected without a change here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { fail } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without the bearer token (liveness, readiness, the API description). */
    public?: boolean;
  }
}

/** Hashing first gives both sides one length, so the comparison leaks neither content nor length. */
const digest = (text: string) => createHash('sha256').update(text).digest();

/** `Bearer <token>`, or `Token <token>` as InfluxDB's line-protocol clients send it. */
const scheme = /^(?:Bearer|Token) (.*)$/s;

/** A check of an Authorization header that throws GSW_ERR_UNAUTHORIZED unless it carries the token. */
export function bearerCheck(token: string): (authorization: string | undefined) => void {
  const expected = digest(token);
  return (authorization) => {
    const given = scheme.exec(authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(given), expected)) {
      fail('GSW_ERR_UNAUTHORIZED', 'a valid Authorization: Bearer token is required');
    }
  };
}

/** Requires the token on every route of `app` whose config is not `public: true`. */
export function requireToken(app: FastifyInstance, token: string): void {
  const authenticate = bearerCheck(token);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public !== true) authenticate(request.headers.authorization);
  });
}

/** Marks every route registered in `app` (an encapsulated plugin context) public. */
export function markRoutesPublic(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true };
  });
}
