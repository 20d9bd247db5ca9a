import { createHash, randomBytes } from 'node:crypto';

/** Tokens are stored only as `sha256:<hex>`; a bearer token is looked up by its hash. */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

export function generateToken(): string {
  return `sb_${randomBytes(24).toString('base64url')}`;
}
