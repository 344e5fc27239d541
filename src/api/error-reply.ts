/**
 * Maps any error a route throws to the one response shape `{ error, code, ...details }`: a
 * GswarmError keeps its code, status and data; Fastify's own errors (validation, content type,
 * body size) get the matching GSW_ERR_* code; anything else is an internal error, logged in full.
 */
import type { Socket } from 'node:net';
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
  FST_ERR_MAX_PARAM_LENGTH: 'GSW_ERR_BAD_REQUEST',
  FST_ERR_BAD_URL: 'GSW_ERR_BAD_REQUEST',
};

/** Fastify messages that would repeat the whole (hostile) path. */
const fastifyMessages: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is longer than the router accepts',
  FST_ERR_BAD_URL: 'the path is not valid percent-encoding',
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
  // A request nested deeper than a recursive parser (the query grammar) can follow.
  if (error instanceof RangeError && error.message.includes('call stack')) {
    return {
      status: 400,
      body: { error: 'the request is nested too deeply to process', code: 'GSW_ERR_MALFORMED_BODY' },
    };
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
  const error_ = (code !== undefined ? fastifyMessages[code] : undefined) ?? message ?? mapped;
  return { status: errorCatalogue[mapped].status, body: { error: error_, code: mapped } };
}

/**
 * Answers a request Node's HTTP parser refused (a bad Content-Length, a malformed request line,
 * headers too large) in the one error shape, then closes the connection: its framing is lost.
 */
export function clientErrorReply(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const body: ErrorBody = timedOut
    ? { error: 'the request did not arrive within the server request timeout', code: 'GSW_ERR_BODY_TIMEOUT' }
    : { error: `malformed HTTP request (${error.code ?? 'unparsable'})`, code: 'GSW_ERR_BAD_REQUEST' };
  const status = errorCatalogue[body.code as ErrorCode].status;
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${timedOut ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
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
