// A local HTTP server speaking Twilio's Messages API wire format, and the carrier side of Twilio's
// webhooks (inbound messages and status callbacks, signed like Twilio signs them), for tests that
// exercise the SMS channel over real HTTP.
//
//   const twilio = await FakeTwilio.start();
//   await sendTwilioMessage({ baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, ... });
//   twilio.messages          // what was accepted
//   twilio.failNext(1, 503)  // the next request gets a 503
//   await twilio.close();
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeFormParams, parseFormParams } from '../../src/channels/sms/form-params.ts';
import { countSegments } from '../../src/channels/sms/segments.ts';
import { computeTwilioSignature, TWILIO_SIGNATURE_HEADER } from '../../src/channels/sms/twilio-signature.ts';

const IDEMPOTENCY_HEADER = 'I-Twilio-Idempotency-Token';
const MAX_BODY_CHARACTERS = 1600;

/** A message the fake accepted, in Twilio's JSON shape (as returned by the create call). */
export interface FakeTwilioMessage {
  sid: string;
  account_sid: string;
  api_version: '2010-04-01';
  to: string;
  from: string;
  body: string;
  status: string;
  direction: 'outbound-api';
  num_segments: string;
  num_media: string;
  date_created: string;
  date_updated: string;
  date_sent: null;
  error_code: null;
  error_message: null;
  messaging_service_sid: null;
  price: null;
  price_unit: 'USD';
  uri: string;
  subresource_uris: { media: string };
}

/** What the fake recorded about an accepted message, beyond its JSON. */
export interface AcceptedMessage {
  message: FakeTwilioMessage;
  statusCallback: string | undefined;
  idempotencyToken: string | undefined;
}

export interface ProgrammedFailure {
  status: number;
  /** Twilio error code in the body; defaults to 20429 for 429, 20500 for 5xx, 21211 otherwise. */
  code?: number;
  message?: string;
  /** Sent as the `Retry-After` header. */
  retryAfter?: string;
}

export interface WebhookResponse {
  status: number;
  headers: Headers;
  body: string;
}

export interface InboundMessage {
  From: string;
  To: string;
  Body: string;
  MessageSid?: string;
  AccountSid?: string;
  media?: { url: string; contentType: string }[];
  /** Any further parameters, e.g. FromCountry. */
  extra?: Record<string, string>;
}

export interface StatusCallback {
  MessageSid: string;
  MessageStatus: string;
  ErrorCode?: string;
  AccountSid?: string;
  From?: string;
  To?: string;
}

export function twilioSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Twilio's date format: RFC 2822 with a numeric zone, e.g. "Mon, 16 Aug 2010 03:45:01 +0000". */
function twilioDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export class FakeTwilio {
  readonly accountSid: string;
  readonly authToken: string;
  readonly #server: Server;
  readonly #accepted: AcceptedMessage[] = [];
  readonly #byIdempotencyToken = new Map<string, FakeTwilioMessage>();
  readonly #failures: ProgrammedFailure[] = [];
  #requestCount = 0;

  private constructor(server: Server, accountSid: string, authToken: string) {
    this.#server = server;
    this.accountSid = accountSid;
    this.authToken = authToken;
  }

  static async start(options: { accountSid?: string; authToken?: string } = {}): Promise<FakeTwilio> {
    const server = createServer();
    const fake = new FakeTwilio(server, options.accountSid ?? twilioSid('AC'), options.authToken ?? randomBytes(16).toString('hex'));
    server.on('request', (request, response) => {
      fake.#handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** The base URL to pass as `baseUrl`, e.g. http://127.0.0.1:40123 */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Accepted messages' JSON, oldest first. An idempotent replay is not a new message. */
  get messages(): FakeTwilioMessage[] {
    return this.#accepted.map((entry) => entry.message);
  }

  get accepted(): readonly AcceptedMessage[] {
    return [...this.#accepted];
  }

  /** Every request received, failed and replayed ones included. */
  get requestCount(): number {
    return this.#requestCount;
  }

  /** The next `count` authenticated requests to the Messages endpoint fail with `status`. */
  failNext(count: number, status: number, failure: Omit<ProgrammedFailure, 'status'> = {}): void {
    for (let i = 0; i < count; i += 1) this.#failures.push({ status, ...failure });
  }

  sendInbound(url: string, message: InboundMessage, authToken = this.authToken): Promise<WebhookResponse> {
    return sendInbound(url, { AccountSid: this.accountSid, ...message }, authToken);
  }

  sendStatusCallback(url: string, callback: StatusCallback, authToken = this.authToken): Promise<WebhookResponse> {
    return sendStatusCallback(url, { AccountSid: this.accountSid, ...callback }, authToken);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.#requestCount += 1;
    const raw = await readBody(request);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
    if (route === null || request.method !== 'POST') {
      return sendError(response, 404, 20404, `The requested resource ${path} was not found`);
    }
    if (!this.#authorized(request.headers.authorization, decodeURIComponent(route[1] ?? ''))) {
      return sendError(response, 401, 20003, 'Authenticate');
    }
    const failure = this.#failures.shift();
    if (failure !== undefined) {
      const code = failure.code ?? (failure.status === 429 ? 20429 : failure.status >= 500 ? 20500 : 21211);
      const headers: Record<string, string> = failure.retryAfter === undefined ? {} : { 'Retry-After': failure.retryAfter };
      return sendError(response, failure.status, code, failure.message ?? 'Programmed failure', headers);
    }

    const token = first(request.headers[IDEMPOTENCY_HEADER.toLowerCase()]);
    const replayed = token === undefined ? undefined : this.#byIdempotencyToken.get(token);
    if (replayed !== undefined) return sendJson(response, 201, replayed);

    const params = parseFormParams(raw);
    const to = first(params.To);
    const from = first(params.From);
    const body = first(params.Body) ?? '';
    if (to === undefined || to === '') return sendError(response, 400, 21604, "A 'To' phone number is required.");
    if (from === undefined || from === '') return sendError(response, 400, 21603, "A 'From' phone number is required.");
    if (!/^(\+[1-9]\d{6,14}|\d{5,6})$/.test(to)) return sendError(response, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (body === '') return sendError(response, 400, 21602, 'Message body is required.');
    if (Array.from(body).length > MAX_BODY_CHARACTERS) {
      return sendError(response, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }

    const message = this.#createMessage(to, from, body);
    this.#accepted.push({ message, statusCallback: first(params.StatusCallback), idempotencyToken: token });
    if (token !== undefined) this.#byIdempotencyToken.set(token, message);
    return sendJson(response, 201, message);
  }

  #authorized(header: string | undefined, pathSid: string): boolean {
    const match = /^Basic (.+)$/i.exec(header ?? '');
    if (match === null) return false;
    const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
    const expected = `${this.accountSid}:${this.authToken}`;
    const same = decoded.length === expected.length && timingSafeEqual(Buffer.from(decoded), Buffer.from(expected));
    return same && pathSid === this.accountSid;
  }

  #createMessage(to: string, from: string, body: string): FakeTwilioMessage {
    const sid = twilioSid('SM');
    const now = twilioDate(new Date());
    const uri = `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`;
    return {
      sid,
      account_sid: this.accountSid,
      api_version: '2010-04-01',
      to,
      from,
      body,
      status: 'queued',
      direction: 'outbound-api',
      num_segments: String(countSegments(body).segments),
      num_media: '0',
      date_created: now,
      date_updated: now,
      date_sent: null,
      error_code: null,
      error_message: null,
      messaging_service_sid: null,
      price: null,
      price_unit: 'USD',
      uri,
      subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
    };
  }
}

/**
 * Plays Twilio delivering an inbound SMS/MMS to a Switchboard webhook: a form-encoded POST with
 * Twilio's parameters, signed with `X-Twilio-Signature` for exactly `url`.
 */
export function sendInbound(url: string, message: InboundMessage, authToken: string): Promise<WebhookResponse> {
  const sid = message.MessageSid ?? twilioSid(message.media?.length ? 'MM' : 'SM');
  const params: Record<string, string> = {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: String(message.media?.length ?? 0),
    SmsSid: sid,
    SmsStatus: 'received',
    Body: message.Body,
    To: message.To,
    NumSegments: String(countSegments(message.Body).segments),
    MessageSid: sid,
    AccountSid: message.AccountSid ?? twilioSid('AC'),
    From: message.From,
    ApiVersion: '2010-04-01',
  };
  message.media?.forEach((media, index) => {
    params[`MediaUrl${index}`] = media.url;
    params[`MediaContentType${index}`] = media.contentType;
  });
  return postSigned(url, { ...params, ...message.extra }, authToken);
}

/** Plays Twilio reporting a delivery status change for an outbound message. */
export function sendStatusCallback(url: string, callback: StatusCallback, authToken: string): Promise<WebhookResponse> {
  const params: Record<string, string> = {
    MessageSid: callback.MessageSid,
    SmsSid: callback.MessageSid,
    MessageStatus: callback.MessageStatus,
    SmsStatus: callback.MessageStatus,
    AccountSid: callback.AccountSid ?? twilioSid('AC'),
    ApiVersion: '2010-04-01',
  };
  if (callback.ErrorCode !== undefined) params.ErrorCode = callback.ErrorCode;
  if (callback.From !== undefined) params.From = callback.From;
  if (callback.To !== undefined) params.To = callback.To;
  return postSigned(url, params, authToken);
}

async function postSigned(url: string, params: Record<string, string>, authToken: string): Promise<WebhookResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'TwilioProxy/1.1',
      [TWILIO_SIGNATURE_HEADER]: computeTwilioSignature(authToken, url, params),
      [IDEMPOTENCY_HEADER]: `${randomBytes(16).toString('hex')}-${params.MessageSid ?? ''}`,
    },
    body: encodeFormParams(params),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}
