import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LabError } from './errors.js';

// <dir>/lab.json: everything a test, the CLI or `lab down` needs to find and use a running lab.
// Read back through this schema, so a hand-edited or foreign file fails with a clear error rather
// than making `lab down` signal the wrong PIDs.

const processRecord = z.object({
  role: z.string(),
  pid: z.number().int().positive(),
  cmdline: z.array(z.string()).min(1),
  startTicks: z.number().int().nonnegative(),
});

const endpoints = {
  vcsim: z.object({ url: z.string(), controlUrl: z.string(), pid: z.number().int() }),
  storwize: z.object({
    arrays: z.array(
      z.object({
        name: z.string(),
        site: z.string(),
        host: z.string(),
        port: z.number().int(),
        hostKeySha256: z.string(),
      }),
    ),
  }),
  dsm: z.object({
    url: z.string(),
    port: z.number().int(),
    storageCenters: z.array(z.object({ name: z.string(), serial: z.number().int(), site: z.string() })),
  }),
  zerto: z.object({ url: z.string(), port: z.number().int(), site: z.string() }),
  slack: z.object({
    url: z.string(),
    apiUrl: z.string(),
    port: z.number().int(),
    teamId: z.string(),
    botUserId: z.string(),
    /** Lab roles to Slack user ids: operator, approver, approver2, outsider, departed. */
    users: z.record(z.string(), z.string()),
    /** Channel ids: one per site, plus infra, announce, random, archived. */
    channels: z.record(z.string(), z.string()),
  }),
};

export const labEndpointsSchema = z.object(endpoints);
export type LabEndpoints = z.infer<typeof labEndpointsSchema>;

export const labCredentialsSchema = z.object({
  user: z.string(),
  password: z.string(),
  zertoClientId: z.string(),
  zertoClientSecret: z.string(),
  slackBotToken: z.string(),
  slackSigningSecret: z.string(),
});
export type LabCredentials = z.infer<typeof labCredentialsSchema>;

export const labInfoSchema = z.object({
  version: z.literal(1),
  dir: z.string(),
  size: z.enum(['small', 'large']),
  timeScale: z.number().positive(),
  detached: z.boolean(),
  startedAt: z.string(),
  startupMs: z.number(),
  files: z.object({
    model: z.string(),
    ca: z.string(),
    sitesYaml: z.string(),
    env: z.string(),
    log: z.string().optional(),
  }),
  credentials: labCredentialsSchema,
  ...endpoints,
  /** Processes `lab down` stops: the stand-ins' process (detached labs) and vcsim. */
  processes: z.array(processRecord),
});
export type LabInfo = z.infer<typeof labInfoSchema>;

export function labJsonPath(dir: string): string {
  return join(dir, 'lab.json');
}

/** The lab recorded in `dir`, or undefined when there is none. */
export async function readLabInfo(dir: string): Promise<LabInfo | undefined> {
  let text: string;
  try {
    text = await readFile(labJsonPath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new LabError('LAB_STATE_INVALID', `${labJsonPath(dir)} is not valid JSON`);
  }
  const parsed = labInfoSchema.safeParse(raw);
  if (!parsed.success) {
    throw new LabError(
      'LAB_STATE_INVALID',
      `${labJsonPath(dir)} is not a lab description: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

export async function requireLabInfo(dir: string): Promise<LabInfo> {
  const info = await readLabInfo(dir);
  if (!info) throw new LabError('LAB_NOT_FOUND', `no lab in ${dir} (${labJsonPath(dir)} does not exist)`);
  return info;
}
