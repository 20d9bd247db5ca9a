// Lookups in the SMS configuration in force: providers by id, numbers by their normalized form, a
// provider's secret (from the file or the environment) and a number's compiled masking rules. Every
// lookup reads the current configuration, so a replaced configuration applies to the next message.
import type { ConfigStore } from '../../config/config-store.ts';
import { SwitchboardError } from '../../errors.ts';
import { compileMaskingRules, type CompiledMaskingRule } from './masking.ts';
import type { SmsNumberConfig, SmsProviderConfig } from './sms-config.ts';

const compiledRules = new WeakMap<SmsNumberConfig, CompiledMaskingRule[]>();

export class SmsDirectory {
  readonly #config: ConfigStore;
  readonly #env: NodeJS.ProcessEnv;

  constructor(config: ConfigStore, env: NodeJS.ProcessEnv = process.env) {
    this.#config = config;
    this.#env = env;
  }

  providers(): readonly SmsProviderConfig[] {
    return this.#config.current().smsProviders;
  }

  numbers(): readonly SmsNumberConfig[] {
    return this.#config.current().smsNumbers;
  }

  provider(id: string): SmsProviderConfig | undefined {
    return this.providers().find((provider) => provider.id === id);
  }

  /** The configured number with this normalized form (E.164 or short code). */
  number(number: string): SmsNumberConfig | undefined {
    return this.numbers().find((candidate) => candidate.number === number);
  }

  /** The provider's auth token (or HMAC secret); undefined when its environment variable is not set. */
  secretOf(provider: SmsProviderConfig): string | undefined {
    if (provider.authToken !== undefined) return provider.authToken;
    const value = provider.authTokenEnv === undefined ? undefined : this.#env[provider.authTokenEnv];
    return value === undefined || value === '' ? undefined : value;
  }

  /** Like secretOf, but a missing secret is a 503: the deployment is incomplete, not the request wrong. */
  requireSecret(provider: SmsProviderConfig): string {
    const secret = this.secretOf(provider);
    if (secret === undefined) {
      throw new SwitchboardError('UNAVAILABLE', `SMS provider "${provider.id}" has no secret: environment variable ${provider.authTokenEnv ?? ''} is not set`);
    }
    return secret;
  }

  maskingRules(number: SmsNumberConfig): CompiledMaskingRule[] {
    let rules = compiledRules.get(number);
    if (rules === undefined) {
      rules = compileMaskingRules(number.masking.rules);
      compiledRules.set(number, rules);
    }
    return rules;
  }
}
