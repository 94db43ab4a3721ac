import { z } from 'zod';
import { ConfigError } from '../domain/errors.js';
import type { Topology } from './schema.js';

// Process options from the environment, read once at start-up (probot's readEnvOptions pattern):
// a pure function of the env object, so tests pass their own.

const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xox[bp]-/, 'a bot token starting with xoxb-')
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'an app-level token starting with xapp-')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(8).optional(),
  SLACK_API_URL: z.url().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'a URL such as redis://127.0.0.1:6379')
    .default('redis://127.0.0.1:6379'),
  BASCULE_CONFIG: z.string().min(1).default('config/sites.yaml'),
  PORT: z.coerce.number().int().min(1).max(65535).optional(),
  BASCULE_KEY_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and "-", such as bascule or bascule-staging')
    .default('bascule'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface EnvOptions {
  slack: {
    botToken: string | undefined;
    appToken: string | undefined;
    signingSecret: string | undefined;
    apiUrl: string | undefined;
  };
  redisUrl: string;
  configPath: string;
  port: number | undefined;
  /** Prefix of every Redis key and BullMQ queue, so two Bascule instances can share one Redis. */
  keyPrefix: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

export function readEnvOptions(env: Record<string, string | undefined>): EnvOptions {
  // Empty strings in .env files mean "not set", not "set to nothing".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    // Values are never echoed: several of these variables are secrets.
    const problems = parsed.error.issues.map((i) => `env ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`environment has ${problems.length} problem(s): ${problems[0]}`, problems, {
      hint: 'Fix the variables named above (see .env.example).',
    });
  }
  const e = parsed.data;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      apiUrl: e.SLACK_API_URL,
    },
    redisUrl: e.REDIS_URL,
    configPath: e.BASCULE_CONFIG,
    port: e.PORT,
    keyPrefix: e.BASCULE_KEY_PREFIX,
    logLevel: e.LOG_LEVEL,
  };
}

/** Every env variable the topology names for a secret, with the key that names it. */
export function secretEnvNames(t: Topology): Array<{ key: string; env: string }> {
  const out: Array<{ key: string; env: string }> = [];
  t.sites.forEach((s, i) => {
    out.push({ key: `sites[${i}].vcenter.userEnv`, env: s.vcenter.userEnv });
    out.push({ key: `sites[${i}].vcenter.passwordEnv`, env: s.vcenter.passwordEnv });
  });
  t.arrays.forEach((a, i) => {
    const fields = ['userEnv', 'passwordEnv', 'privateKeyEnv', 'clientIdEnv', 'clientSecretEnv'] as const;
    for (const f of fields) {
      const v = (a as Partial<Record<(typeof fields)[number], string>>)[f];
      if (v !== undefined) out.push({ key: `arrays[${i}].${f}`, env: v });
    }
  });
  return out;
}

/** Keys whose env variable is missing; start-up fails on these, `config check` only reports them. */
export function missingSecrets(t: Topology, env: Record<string, string | undefined>): string[] {
  return secretEnvNames(t)
    .filter(({ env: name }) => !env[name])
    .map(({ key, env: name }) => `${key}: environment variable ${name} is not set`);
}

/** Reads one secret; throws a ConfigError naming the variable (never its value). */
export function secret(env: Record<string, string | undefined>, name: string): string {
  const v = env[name];
  if (!v) {
    throw new ConfigError(`environment variable ${name} is not set`, [`env ${name}: missing`], {
      hint: `Set ${name} (see .env.example) and start again.`,
    });
  }
  return v;
}
