import { z } from 'zod';

// The shape of sites.yaml. Every object is strict: an unknown key is an error, because a typo in a
// failover configuration ("concurentDatastores") silently falling back to a default is how a
// 6 a.m. migration goes wrong. Secrets never appear here, only the names of the env variables
// that hold them.

const name = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-", starting with a letter or digit');
const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as VCENTER_PASSWORD');
const httpsUrl = z.url({ protocol: /^https?$/, error: 'a URL such as https://vcenter.example.edu/sdk' });
const slackUser = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id such as U024BE7LH');
const slackGroup = z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user-group id such as SAZ94GDB8');
const slackChannel = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel id such as C024BE91L');
const sha256Thumbprint = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, 'a SHA-256 thumbprint as 32 hex pairs separated by ":"');
const sshFingerprint = z
  .string()
  .regex(
    /^SHA256:[A-Za-z0-9+/]{43}=?$/,
    'an OpenSSH SHA-256 fingerprint such as SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8',
  );
const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 90s, 30m, 2h or 7d');

const vcenter = z.strictObject({
  url: httpsUrl,
  userEnv: envName,
  passwordEnv: envName,
  /** PEM file of the CA that signed vCenter's certificate, when it is not in the system store. */
  caFile: z.string().min(1).optional(),
  /** Pinned SHA-256 thumbprint of vCenter's certificate, as shown in the vSphere client. */
  thumbprint: sha256Thumbprint.optional(),
});

const site = z.strictObject({
  name,
  vcenter,
  datacenter: z.string().min(1),
  clusters: z.array(z.string().min(1)).min(1),
  /** Slack channel where runs touching this site are announced. */
  slackChannel: slackChannel.optional(),
});

const storwize = z.strictObject({
  name,
  type: z.literal('storwize'),
  site: name,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1),
  passwordEnv: envName.optional(),
  privateKeyEnv: envName.optional(),
  hostKeySha256: sshFingerprint,
  /** The array on the other site in the remote-copy partnership. */
  partner: name.optional(),
  /** Commands run at once on this array; the CLI serialises many of them anyway. */
  maxConcurrentCommands: z.number().int().min(1).max(16).default(4),
});

const dellDsm = z.strictObject({
  name,
  type: z.literal('dell-dsm'),
  url: httpsUrl,
  userEnv: envName,
  passwordEnv: envName,
  apiVersion: z
    .string()
    .regex(/^\d+\.\d+$/, 'a DSM REST version such as 4.1')
    .default('4.1'),
  caFile: z.string().min(1).optional(),
  /** Storage Center name or serial number → site, so "primaryStorageCenter" names a site. */
  storageCenters: z.record(z.string().min(1), name).default({}),
});

const zerto = z.strictObject({
  name,
  type: z.literal('zerto'),
  /** Site whose ZVM this is; VPG actions go to the ZVM of the recovery site. */
  site: name,
  url: httpsUrl,
  auth: z.enum(['session', 'keycloak']),
  userEnv: envName.optional(),
  passwordEnv: envName.optional(),
  clientIdEnv: envName.optional(),
  clientSecretEnv: envName.optional(),
  caFile: z.string().min(1).optional(),
});

const array = z.discriminatedUnion('type', [storwize, dellDsm, zerto]);

const protectionBase = {
  /** Site that owns the unit: where it runs outside maintenance. */
  site: name,
  array: name,
};

const protection = z.union([
  z.strictObject({
    ...protectionBase,
    method: z.literal('storwize'),
    datastore: z.string().min(1),
    relationship: name.optional(),
    consistencyGroup: name.optional(),
  }),
  z.strictObject({
    ...protectionBase,
    method: z.literal('live-volume'),
    datastore: z.string().min(1),
    /** Live Volume instance name or id in DSM. */
    liveVolume: z.string().min(1),
  }),
  z.strictObject({
    ...protectionBase,
    method: z.literal('zerto'),
    vpg: z.string().min(1),
    /** Datastores the VPG's VMs live on at the owning site. */
    datastores: z.array(z.string().min(1)).default([]),
  }),
]);

const redundancyGroup = z.strictObject({
  name: z.string().min(1),
  vms: z.array(z.string().min(1)).min(2),
});

const redundancy = z
  .strictObject({
    groups: z.array(redundancyGroup).default([]),
    drsAntiAffinity: z.boolean().default(true),
    /** vSphere custom attribute (or tag category) whose equal values mark VMs that back each other up. */
    attribute: z.string().min(1).optional(),
    /** Regex whose first capture group names the group, e.g. ^(.*)-0[12]$ pairs web-01 and web-02. */
    namePattern: z
      .string()
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'a valid regular expression')
      .optional(),
  })
  .default({ groups: [], drsAntiAffinity: true });

const approvals = z.strictObject({
  approvers: z.array(slackUser).default([]),
  userGroup: slackGroup.optional(),
  /** Distinct approvers needed; the requester never counts. */
  required: z.number().int().min(1, 'at least 1: a migration always needs a second person').default(1),
  expiry: duration.default('1h'),
});

const access = z
  .strictObject({
    /** Slack users allowed to schedule maintenance and start runs; empty means anyone in the channels. */
    operators: z.array(slackUser).default([]),
    operatorGroup: slackGroup.optional(),
    /** Channels that accept commands; empty means the sites' and notification channels. */
    channels: z.array(slackChannel).default([]),
  })
  .default({ operators: [], channels: [] });

const capacity = z
  .strictObject({
    headroomPercent: z.number().min(0).max(90).default(10),
    haHostsReserved: z.number().int().min(0).default(1),
    maxVcpuPerCore: z.number().positive().default(4),
  })
  .default({ headroomPercent: 10, haHostsReserved: 1, maxVcpuPerCore: 4 });

const notifications = z
  .strictObject({
    timezone: z.string().min(1).default('Europe/Paris'),
    opsChannel: slackChannel.optional(),
    announceChannels: z.array(slackChannel).default([]),
    reminders: z.array(duration).default(['7d', '1d', '1h']),
    startPromptLead: duration.default('2h'),
  })
  .default({
    timezone: 'Europe/Paris',
    announceChannels: [],
    reminders: ['7d', '1d', '1h'],
    startPromptLead: '2h',
  });

const limits = z
  .strictObject({
    concurrentDatastores: z.number().int().min(1).max(64).default(4),
    vmotionsPerHost: z.number().int().min(1).max(16).default(2),
    shutdownTimeout: duration.default('5m'),
    /** After the shutdown timeout, power off (true) or stop the unit and ask (false). */
    forceOffAfterTimeout: z.boolean().default(true),
  })
  .default({
    concurrentDatastores: 4,
    vmotionsPerHost: 2,
    shutdownTimeout: '5m',
    forceOffAfterTimeout: true,
  });

/**
 * What each step takes on this site's hardware, over Bascule's defaults (src/domain/plan/
 * estimates.ts). They size announcements, ETAs and stall alerts, never a timeout.
 */
const estimates = z
  .strictObject({
    shutdownVm: duration.optional(),
    powerOffVm: duration.optional(),
    unregisterVm: duration.optional(),
    unmountPerHost: duration.optional(),
    switchReplication: duration.optional(),
    makeWritable: duration.optional(),
    rescanHost: duration.optional(),
    mountPerHost: duration.optional(),
    registerVm: duration.optional(),
    powerOnGroup: duration.optional(),
    toolsWait: duration.optional(),
    vmotionVm: duration.optional(),
    swapRoles: duration.optional(),
    zertoMove: duration.optional(),
    zertoFailover: duration.optional(),
    zertoCommit: duration.optional(),
    resyncUnit: duration.optional(),
    verify: duration.optional(),
  })
  .default({});

const bootGroup = z.strictObject({
  name: z.string().min(1),
  /** VMs named here, or matching the pattern, start in this group. Groups start in list order. */
  vms: z.array(z.string().min(1)).default([]),
  pattern: z.string().min(1).optional(),
});

const services = z
  .strictObject({
    /** Custom attribute (or tag category) naming the service a VM belongs to. */
    attribute: z.string().min(1).default('service'),
    /** Custom attribute holding the owner's Slack user or group id, mentioned in announcements. */
    ownerAttribute: z.string().min(1).default('owner'),
  })
  .default({ attribute: 'service', ownerAttribute: 'owner' });

export const topologySchema = z.strictObject({
  sites: z.array(site).min(2, 'two sites: Bascule moves VMs from one to the other'),
  arrays: z.array(array).default([]),
  protection: z.array(protection).default([]),
  redundancy,
  approvals,
  access,
  capacity,
  notifications,
  limits,
  estimates,
  bootOrder: z.array(bootGroup).default([]),
  services,
});

export type Topology = z.infer<typeof topologySchema>;
export type SiteConfig = Topology['sites'][number];
export type ArrayConfig = Topology['arrays'][number];
export type StorwizeArrayConfig = Extract<ArrayConfig, { type: 'storwize' }>;
export type DellDsmConfig = Extract<ArrayConfig, { type: 'dell-dsm' }>;
export type ZertoConfig = Extract<ArrayConfig, { type: 'zerto' }>;
export type ProtectionConfig = Topology['protection'][number];

/** A protection entry as written in sites.yaml, before defaults are applied. */
export type ProtectionInput = NonNullable<z.input<typeof topologySchema>['protection']>[number];
