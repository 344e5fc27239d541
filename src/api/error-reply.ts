/**
 * Maps any error a route throws to the one response shape `{ error, code, ...details }`: a
 * GswarmError keeps its code, status and data; Fastify's own errors (validation, content type,
 * body size) get the matching GSW_ERR_* code; anything else is an internal error, logged in full.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { type ErrorCode, errorCatalogue, GswarmError } from '../errors.js';
import type { ErrorBody } from './wire.js';

export interface ErrorReply {
  status: number;
  body: ErrorBody;
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_VALIDATION: 'GSW_ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'GSW_ERR_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_BODY_TOO_LARGE: 'GSW_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'GSW_ERR_MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'GSW_ERR_MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'GSW_ERR_BAD_REQUEST',
};

const statusCodes: Record<number, ErrorCode> = {
  400: 'GSW_ERR_BAD_REQUEST',
  401: 'GSW_ERR_UNAUTHORIZED',
  404: 'GSW_ERR_NOT_FOUND',
  413: 'GSW_ERR_BODY_TOO_LARGE',
  415: 'GSW_ERR_UNSUPPORTED_MEDIA',
};

export function errorReply(error: unknown): ErrorReply {
  if (error instanceof GswarmError) {
    return { status: error.status, body: { ...error.data, error: error.message, code: error.code } };
  }
  const { code, statusCode, message } = error as Partial<FastifyError>;
  const mapped =
    (code !== undefined ? fastifyCodes[code] : undefined) ??
    (statusCode !== undefined && statusCode < 500
      ? (statusCodes[statusCode] ?? 'GSW_ERR_BAD_REQUEST')
      : undefined);
  if (mapped === undefined) {
    return { status: 500, body: { error: 'internal error', code: 'GSW_ERR_INTERNAL' } };
  }
  return { status: errorCatalogue[mapped].status, body: { error: message ?? mapped, code: mapped } };
}

export function installErrorReplies(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorReply(error);
    if (status >= 500 && body.code === 'GSW_ERR_INTERNAL')
      request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.code, status }, body.error);
    // A refused body may still be arriving; closing the connection stops reading it.
    if (status === 413 || request.raw.complete === false) reply.header('connection', 'close');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: `no route ${request.method} ${request.url.split('?')[0]}`,
      code: 'GSW_ERR_NOT_FOUND',
    } satisfies ErrorBody),
  );
}
