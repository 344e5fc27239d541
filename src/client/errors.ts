/** An error answer from a Gswarm server: its status, its GSW_ERR_* code and the body's details. */
import type { ErrorBody } from '../api/wire.js';

export class GswarmHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(`${status} ${body.code}: ${body.error}`);
    this.name = 'GswarmHttpError';
    this.status = status;
    this.code = body.code;
    this.body = body;
  }
}
