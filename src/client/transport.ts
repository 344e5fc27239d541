/**
 * The client's one place that touches sockets: an HTTP(S) request through node:http, so a private
 * CA can be given per client, and every failure to reach the server becomes a
 * GswarmConnectionError naming the URL and the cause.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  signal: AbortSignal;
  /** PEM certificates to trust for https, instead of the system's. */
  ca?: string | Buffer;
}

/** Why a request never got an answer; `transient` failures are worth a retry. */
export class GswarmConnectionError extends Error {
  readonly url: string;
  /** The system's code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...) or 'TIMEOUT'. */
  readonly code: string;
  readonly transient: boolean;

  constructor(url: string, code: string, cause?: unknown) {
    super(`cannot reach ${url}: ${explain(code)} (${code})`, { cause });
    this.name = 'GswarmConnectionError';
    this.url = url;
    this.code = code;
    this.transient = transientCodes.has(code);
  }
}

/** Failures that another try may not meet: a reset or dropped connection, a timeout. */
const transientCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'TIMEOUT']);

const untrustedCertificate = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const explanations: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is the server running, on this host and port?',
  ENOTFOUND: 'no such host',
  EHOSTUNREACH: 'the host is unreachable',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'connecting timed out',
  TIMEOUT: 'no answer in time',
  EPROTO: 'the TLS handshake failed: does the server speak plain HTTP (http://)?',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the TLS handshake failed: does the server speak plain HTTP (http://)?',
  HPE_INVALID_CONSTANT: 'the answer is not HTTP: does the server speak HTTPS (https://)?',
};

function explain(code: string): string {
  if (untrustedCertificate.has(code))
    return "the server's TLS certificate is not trusted: give its CA certificate with --ca (client option ca)";
  return explanations[code] ?? 'the request failed';
}

/** Checks a base URL as a user typed it. */
export function baseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${JSON.stringify(text)} is not a URL: give the scheme too, e.g. http://127.0.0.1:7420`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${JSON.stringify(text)} is not an http:// or https:// URL`);
  return url;
}

/** Sends one request; resolves with the answer's head, its body still to be read. */
export function send(url: URL, options: SendOptions): Promise<IncomingMessage> {
  const { method, headers, body, signal, ca } = options;
  return new Promise((resolve, reject) => {
    const fail = (error: Error & { code?: string }) => {
      if (signal.aborted && signal.reason?.name !== 'TimeoutError') return reject(signal.reason);
      const code = signal.aborted ? 'TIMEOUT' : (error.code ?? 'UNKNOWN');
      reject(new GswarmConnectionError(url.href, code, error));
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method, headers, signal, ...(ca === undefined ? {} : { ca }) },
      resolve,
    );
    request.on('error', fail);
    request.end(body);
  });
}

export async function readText(answer: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of answer) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
