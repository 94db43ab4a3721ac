import { z } from 'zod';

// DSM REST objects as Bascule reads them. Only the fields used are declared; unknown fields are
// dropped, and `type`, `syncMode` and `syncStatus` are optional because Dell omits them when one
// side of a Live Volume is down.

export const errorBodySchema = z.object({ result: z.string() });

export const apiConnectionSchema = z.object({
  apiVersion: z.string().optional(),
  provider: z.string().optional(),
  instanceId: z.string().optional(),
});

export const asyncTaskSchema = z.object({
  objectType: z.literal('AsyncTask'),
  instanceId: z.string().optional(),
  returnValue: z.string().optional(),
  methodName: z.string().optional(),
  objectTypeName: z.string().optional(),
});

const reference = z.object({
  instanceId: z.string(),
  instanceName: z.string(),
});

export const liveVolumeSchema = z.object({
  objectType: z.literal('ScLiveVolume'),
  instanceId: z.string(),
  instanceName: z.string(),
  primaryStorageCenter: reference,
  secondaryStorageCenter: reference,
  primaryVolume: reference,
  secondaryVolume: reference,
  primaryRole: z.string(),
  secondaryRole: z.string(),
  primaryStatus: z.string(),
  secondaryStatus: z.string(),
  primaryPeerState: z.string(),
  secondaryPeerState: z.string(),
  swappingRoles: z.boolean(),
  primarySwapRoleState: z.string(),
  secondarySwapRoleState: z.string(),
  failoverState: z.string().optional(),
  failoverAutomaticallyEnabled: z.boolean().optional(),
  restoreAutomaticallyEnabled: z.boolean().optional(),
  replicationFound: z.boolean().optional(),
  replicationState: z.string(),
  replicationStateMessage: z.string().optional(),
  type: z.string().optional(),
  syncMode: z.string().optional(),
  syncStatus: z.string().optional(),
  status: z.string().optional(),
});
export type ScLiveVolume = z.infer<typeof liveVolumeSchema>;

export const liveVolumeListSchema = z.array(liveVolumeSchema);

export const storageCenterListSchema = z.array(
  z.object({
    instanceId: z.string(),
    name: z.string().optional(),
    instanceName: z.string().optional(),
    connected: z.boolean().optional(),
  }),
);

export const replicationProgressListSchema = z.array(
  z.object({
    instanceId: z.string(),
    instanceName: z.string(),
    percentComplete: z.number().optional(),
    synced: z.boolean().optional(),
  }),
);

/**
 * What a finished SwapRoles task returns is not documented; Bascule never reads it and re-reads
 * the Live Volume instead, so any JSON is accepted here.
 */
export const swapRolesResultSchema = z.unknown();
