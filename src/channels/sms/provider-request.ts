/**
 * One HTTP request to an SMS provider's message API, and what its answer means: a network failure,
 * timeout, 429 or 5xx is retryable; another non-2xx is a rejection; a 2xx body the caller cannot read
 * is a bad response (the message may have been accepted, so it must not be resent blindly).
 */
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

export async function postToProvider<T>(request: ProviderRequest, answer: ProviderAnswer<T>): Promise<T> {
  let status: number;
  let headers: Headers;
  let text: string;
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    status = response.status;
    headers = response.headers;
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const message = timedOut ? `${request.provider} did not answer within ${request.timeoutMs} ms` : `Could not reach ${request.provider}`;
    throw new SmsProviderRetryableError(message, { cause: error });
  }
  const json = parseJson(text);
  if (status >= 200 && status < 300) {
    const created = answer.created(json);
    if (created === null) throw new SmsProviderBadResponseError(status, answer.expected);
    return created;
  }
  if (status === 429 || status >= 500) {
    throw new SmsProviderRetryableError(`${request.provider} answered HTTP ${status}`, {
      status,
      retryAfterMs: parseRetryAfter(headers.get('retry-after')),
    });
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
