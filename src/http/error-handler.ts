/** Every error leaves as `{ "error": { "code", "message", "details"? } }` with its status. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SwitchboardError } from '../errors.ts';

interface ValidationFailure {
  validation?: unknown;
  validationContext?: string;
}

export function errorHandler(error: FastifyError & ValidationFailure, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof SwitchboardError) {
    void reply.status(error.status).send({ error: { code: error.code, message: error.message, details: error.details } });
    return;
  }
  if (error.validation) {
    void reply.status(400).send({
      error: { code: 'VALIDATION_FAILED', message: `${error.validationContext ?? 'request'} ${error.message}`, details: error.validation },
    });
    return;
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      void reply.status(400).send({ error: { code: 'INVALID_JSON', message: error.message } });
      return;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      void reply.status(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: error.message } });
      return;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      void reply.status(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: error.message } });
      return;
    default:
      break;
  }
  if (error.statusCode === 429) {
    void reply.status(429).send({ error: { code: 'RATE_LIMITED', message: error.message } });
    return;
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    void reply.status(error.statusCode).send({ error: { code: 'BAD_REQUEST', message: error.message } });
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  void reply.status(500).send({ error: { code: 'INTERNAL', message: 'Internal error' } });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
}
