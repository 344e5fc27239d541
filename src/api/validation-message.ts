/**
 * Messages for requests that break a route's schema, naming the offending property and where it
 * sits (`body.rows[2]`), since Ajv's own text ("must NOT have additional properties") names neither.
 */
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/** `/rows/2/id` → `.rows[2].id`. */
function place(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((key) => (/^\d+$/.test(key) ? `[${key}]` : `.${key.replaceAll('~1', '/').replaceAll('~0', '~')}`))
    .join('');
}

export function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): string {
  return errors
    .map((error) => {
      const where = `${dataVar}${place(error.instancePath)}`;
      const unknown = (error.params as { additionalProperty?: unknown }).additionalProperty;
      return unknown === undefined
        ? `${where} ${error.message}`
        : `${where} has an unknown property ${JSON.stringify(unknown)}`;
    })
    .join('; ');
}

/** Fastify's `schemaErrorFormatter`. */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): Error {
  return new Error(validationMessage(errors, dataVar));
}
