// Whether a failed capture says something about the message or about the moment. A transient failure
// (the database unreachable or restarting, a serialization failure or deadlock, a concurrent change,
// another capture of the same message committing first: a unique violation)
// stops the poll, and the message is tried again by the next one. Any other failure belongs to the
// message, which is then captured as quarantined with the failure as its reason.
import { SwitchboardError } from '../../errors.ts';

const TRANSIENT_SQLSTATE_CLASSES = ['08', '40', '53', '57', '58'];
const UNIQUE_VIOLATION = '23505';
const TRANSIENT_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isTransientError(error: unknown): boolean {
  if (error instanceof SwitchboardError) return error.code === 'CONFLICT' || error.code === 'UNAVAILABLE';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  if (TRANSIENT_CODES.has(code)) return true;
  if (code === UNIQUE_VIOLATION) return true;
  return /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
