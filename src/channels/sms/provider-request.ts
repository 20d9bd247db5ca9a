/**
 * One HTTP request to an SMS provider's message API, and what its answer means: a network failure,
 * timeout, 429 or 5xx is retryable; another non-2xx is a rejection; a 2xx body the caller cannot read
 * is a bad response (the message may have been accepted, so it must not be resent blindly).
 *
 * Requests go through keep-alive agents, so consecutive sends to a provider reuse their connections
 * instead of opening one each; a redirect is an answer like any other (never followed).
 */
import http from 'node:http';
import https from 'node:https';
import { SmsProviderBadResponseError, SmsProviderRejectedError, SmsProviderRetryableError } from './errors.ts';
import { parseRetryAfter } from './retry-after.ts';

export interface ProviderRequest {
  /** Who answers, for error messages ("Twilio", "The SMS provider"). */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface ProviderAnswer<T> {
  /** Reads the created message from a 2xx body, or returns null when it cannot. */
  created: (json: unknown) => T | null;
  /** Reads the provider's error details from a rejection's body. */
  rejection: (json: unknown) => { code?: number; message?: string; moreInfo?: string };
  /** What a 2xx body lacked, for the bad-response error. */
  expected: string;
}

/** Largest answer read from a provider (its JSON is a few kilobytes at most). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Connections idle this long are closed, before a provider's own keep-alive limit would close them
 * under a request about to use them.
 */
const IDLE_MS = 10_000;

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: IDLE_MS }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: IDLE_MS }),
};

interface RawAnswer {
  status: number;
  retryAfter: string | null;
  text: string;
}

class ProviderTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
}

function post(request: ProviderRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.url);
    const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (transport === null) {
      reject(new Error(`unsupported protocol ${url.protocol}`));
      return;
    }
    const body = Buffer.from(request.body, 'utf8');
    const outgoing = transport.request(url, {
      method: 'POST',
      agent: agents[url.protocol as keyof typeof agents],
      headers: { ...request.headers, 'Content-Length': String(body.length) },
    });
    const timer = setTimeout(() => outgoing.destroy(new ProviderTimeoutError(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    outgoing.on('error', fail);
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) outgoing.destroy(new AnswerTooLargeError(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      incoming.on('error', fail);
      incoming.on('end', () => {
        clearTimeout(timer);
        const retryAfter = incoming.headers['retry-after'];
        resolve({ status: incoming.statusCode ?? 0, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    outgoing.end(body);
  });
}

export async function postToProvider<T>(request: ProviderRequest, answer: ProviderAnswer<T>): Promise<T> {
  let raw: RawAnswer;
  try {
    raw = await post(request);
  } catch (error) {
    const message =
      error instanceof ProviderTimeoutError
        ? `${request.provider} did not answer within ${request.timeoutMs} ms`
        : error instanceof AnswerTooLargeError
          ? `${request.provider} answered with more than ${MAX_ANSWER_BYTES} bytes`
          : `Could not reach ${request.provider}`;
    throw new SmsProviderRetryableError(message, { cause: error });
  }
  const { status, retryAfter, text } = raw;
  const json = parseJson(text);
  if (status >= 200 && status < 300) {
    const created = answer.created(json);
    if (created === null) throw new SmsProviderBadResponseError(status, answer.expected);
    return created;
  }
  if (status === 429 || status >= 500) {
    throw new SmsProviderRetryableError(`${request.provider} answered HTTP ${status}`, { status, retryAfterMs: parseRetryAfter(retryAfter) });
  }
  throw new SmsProviderRejectedError(status, answer.rejection(json));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
