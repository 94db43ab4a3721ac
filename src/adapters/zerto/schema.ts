import { z } from 'zod';

// ZVM REST objects as Bascule reads them (field names from ZertoApiWrapper's recorded responses).
// Only what is used is declared; unknown fields are dropped.

const siteRef = z.object({ identifier: z.string() });

export const vpgSchema = z.object({
  VpgIdentifier: z.string(),
  VpgName: z.string(),
  Status: z.number().int(),
  SubStatus: z.number().int(),
  ActualRPO: z.number().nullable().optional(),
  ProgressPercentage: z.number().nullable().optional(),
  ProtectedSite: siteRef,
  RecoverySite: siteRef,
  ActiveProcessesApi: z
    .object({ RunningFailOverTestApi: z.unknown().nullable().optional() })
    .nullable()
    .optional(),
});
export type Vpg = z.infer<typeof vpgSchema>;

export const vpgListSchema = z.array(vpgSchema);

export const localSiteSchema = z.object({ SiteIdentifier: z.string(), SiteName: z.string().optional() });

/** Every VPG action answers with a task identifier as a JSON string. */
export const taskIdSchema = z.string().min(1);

export const taskSchema = z.object({
  Status: z.object({ State: z.number().int(), Progress: z.number().nullable().optional() }),
  CompleteReason: z.string().nullable().optional(),
});
export type ZertoTask = z.infer<typeof taskSchema>;

export const errorBodySchema = z.object({ Message: z.string() });

export const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().min(1).optional(),
  refresh_expires_in: z.number().optional(),
});
export type TokenResponse = z.infer<typeof tokenSchema>;

export const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });
