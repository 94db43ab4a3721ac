import { stringify } from 'yaml';
import type { ProtectionInput } from '../src/config/schema.js';
import { defaultDurations as dsmDurations } from './dsm/state.js';
import type { LabCredentials, LabEndpoints } from './lab-info.js';
import type { LabModel } from './model.js';
import { labChannels, labGroups, labUsers, siteChannelId } from './slack/workspace.js';
import { COPY_GB_PER_SECOND } from './storwize/partnership.js';
import { defaultDurations as zertoDurations } from './zerto/state.js';

// The Bascule configuration of a running lab: sites.yaml (topology pointing at the lab's
// endpoints, secrets by env name only) and lab.env (the values of those env variables).

export const labEnvNames = {
  vcenterUser: 'LAB_VCENTER_USER',
  vcenterPassword: 'LAB_VCENTER_PASSWORD',
  storwizePassword: 'LAB_STORWIZE_PASSWORD',
  dsmUser: 'LAB_DSM_USER',
  dsmPassword: 'LAB_DSM_PASSWORD',
  zertoUser: 'LAB_ZERTO_USER',
  zertoPassword: 'LAB_ZERTO_PASSWORD',
  zertoClientId: 'LAB_ZERTO_CLIENT_ID',
  zertoClientSecret: 'LAB_ZERTO_CLIENT_SECRET',
} as const;

export const dsmArrayName = 'dsm';

export function zertoArrayName(site: string): string {
  return `zvm-${site}`;
}

/** The site whose ZVM the lab's Zerto stand-in is (its default: the model's second site). */
export function zertoSite(model: LabModel): string {
  return model.sites[1] ?? model.sites[0] ?? 'site';
}

interface ConfigInput {
  model: LabModel;
  endpoints: LabEndpoints;
  caFile: string;
  /** The lab's time scale: the step estimates are its durations at that scale (default 1). */
  timeScale?: number;
}

/**
 * The lab's own durations as sites.yaml `estimates`, so the card's ETA and the announcements fit a
 * lab running at `timeScale` (Bascule's defaults are a real site's: a 60 s guest shutdown, an hour
 * of resync). vSphere steps take the vcsim task durations; the others what the stand-ins take.
 */
function labEstimates(model: LabModel, timeScale: number): Record<string, string> {
  const d = model.taskDurationsMs;
  const changed = model.datastores.filter((ds) => ds.changedGb > 0).map((ds) => ds.changedGb);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const at = (ms: number | undefined, fallback: number) =>
    `${Math.max(1, Math.round((ms ?? fallback) * timeScale))}ms`;
  return {
    shutdownVm: at(d.ShutdownGuest, 4_000),
    powerOffVm: at(d.PowerOffVM_Task, 2_000),
    registerVm: at(d.RegisterVM_Task, 1_500),
    powerOnGroup: at(d.PowerOnMultiVM_Task ?? d.PowerOnVM_Task, 3_000),
    vmotionVm: at(d.RelocateVM_Task, 5_000),
    rescanHost: at(d.RescanAllHba, 3_000),
    mountPerHost: at(d.ResolveMultipleUnresolvedVmfsVolumes, 2_000),
    // Storwize and vCenter calls without a task: a CLI command or a call, about a second each.
    unregisterVm: at(undefined, 500),
    unmountPerHost: at(undefined, 500),
    switchReplication: at(undefined, 1_000),
    makeWritable: at(undefined, 1_000),
    toolsWait: at(undefined, 1_000),
    verify: at(undefined, 1_000),
    // The DSM and Zerto stand-ins' defaults (lab/dsm/state.ts, lab/zerto/state.ts).
    swapRoles: at(dsmDurations.swap, 8_000),
    zertoMove: at(zertoDurations.shutdown + zertoDurations.recover, 8_000),
    zertoFailover: at(zertoDurations.recover, 5_000),
    zertoCommit: at(zertoDurations.commit, 3_000),
    // The Storwize stand-in copies what was written while apart at its fixed rate.
    resyncUnit: at(changed.length === 0 ? undefined : (mean(changed) / COPY_GB_PER_SECOND) * 1_000, 600_000),
  };
}

/** Array names a topology uses for the lab's units (the generated sites.yaml, or a test fixture). */
export interface LabArrayNames {
  storwize(site: string): string;
  dsm: string;
  zerto(site: string): string;
}

/** One protection entry per replicated datastore of the model. */
export function labProtection(model: LabModel, names: LabArrayNames): ProtectionInput[] {
  return model.datastores.flatMap((d): ProtectionInput[] => {
    if (d.method === 'storwize') {
      const ref = d.consistencyGroup
        ? { consistencyGroup: d.consistencyGroup }
        : { relationship: d.relationship };
      return [{ datastore: d.name, site: d.site, method: 'storwize', array: names.storwize(d.site), ...ref }];
    }
    if (d.method === 'live-volume') {
      return [
        {
          datastore: d.name,
          site: d.site,
          method: 'live-volume',
          array: names.dsm,
          liveVolume: d.liveVolume ?? d.name,
        },
      ];
    }
    if (d.method === 'zerto') {
      return [
        {
          vpg: d.vpg ?? d.name,
          site: d.site,
          method: 'zerto',
          array: names.zerto(d.site),
          datastores: [d.name],
        },
      ];
    }
    return [];
  });
}

/** The topology object of sites.yaml (validated by the caller with parseTopology). */
export function labTopology({
  model,
  endpoints,
  caFile,
  timeScale = 1,
}: ConfigInput): Record<string, unknown> {
  const n = labEnvNames;
  const storwize = endpoints.storwize.arrays.map((a) => ({
    name: a.name,
    type: 'storwize',
    site: a.site,
    host: a.host,
    port: a.port,
    user: 'bascule',
    passwordEnv: n.storwizePassword,
    hostKeySha256: a.hostKeySha256,
    partner: endpoints.storwize.arrays.find((b) => b.site !== a.site)?.name,
  }));
  // One Zerto stand-in plays the ZVM of the model's second site (its /v1/localsite). In a paired
  // Zerto install that ZVM manages the VPGs of both directions, so every VPG uses it; declaring it
  // a second time as the other site's ZVM would make Bascule read directions backwards.
  const zvm = {
    name: zertoArrayName(zertoSite(model)),
    type: 'zerto',
    site: zertoSite(model),
    url: endpoints.zerto.url,
    auth: 'keycloak',
    userEnv: n.zertoUser,
    passwordEnv: n.zertoPassword,
    clientIdEnv: n.zertoClientId,
    clientSecretEnv: n.zertoClientSecret,
    caFile,
  };
  return {
    sites: model.sites.map((site) => ({
      name: site,
      vcenter: { url: endpoints.vcsim.url, userEnv: n.vcenterUser, passwordEnv: n.vcenterPassword, caFile },
      datacenter: model.datacenter,
      clusters: [site],
      slackChannel: siteChannelId(site),
    })),
    arrays: [
      ...storwize,
      {
        name: dsmArrayName,
        type: 'dell-dsm',
        url: endpoints.dsm.url,
        userEnv: n.dsmUser,
        passwordEnv: n.dsmPassword,
        caFile,
        storageCenters: Object.fromEntries(endpoints.dsm.storageCenters.map((sc) => [sc.name, sc.site])),
      },
      zvm,
    ],
    protection: labProtection(model, {
      storwize: (site) => endpoints.storwize.arrays.find((a) => a.site === site)?.name ?? `v7000-${site}`,
      dsm: dsmArrayName,
      zerto: () => zvm.name,
    }),
    redundancy: { groups: [], drsAntiAffinity: true },
    approvals: {
      approvers: [labUsers.approver.id, labUsers.approver2.id],
      userGroup: labGroups.admins.id,
      required: 1,
      expiry: '1h',
    },
    access: {
      operators: [labUsers.operator.id, labUsers.approver.id],
      operatorGroup: labGroups.operators.id,
      channels: [...model.sites.map(siteChannelId), labChannels.infra.id],
    },
    notifications: {
      timezone: 'Europe/Paris',
      opsChannel: labChannels.infra.id,
      announceChannels: [labChannels.announce.id],
    },
    estimates: labEstimates(model, timeScale),
    bootOrder: [
      { name: 'databases', pattern: '^db-' },
      { name: 'directory', pattern: '^ldap-' },
      { name: 'applications' },
    ],
  };
}

export function labSitesYaml(input: ConfigInput): string {
  const header = [
    '# Generated by `bascule lab up` for the running lab; rewritten at each start, do not edit.',
    '# Secrets are in lab.env next to this file: `set -a; . ./lab.env; set +a`.',
  ].join('\n');
  return `${header}\n${stringify(labTopology(input), { lineWidth: 0 })}`;
}

/** lab.env: KEY=value lines, no quoting needed (values have no spaces unless the dir has). */
export function labEnvFile(o: {
  credentials: LabCredentials;
  slackApiUrl: string;
  sitesYaml: string;
}): string {
  const c = o.credentials;
  const n = labEnvNames;
  const vars: Array<[string, string]> = [
    [n.vcenterUser, c.user],
    [n.vcenterPassword, c.password],
    [n.storwizePassword, c.password],
    [n.dsmUser, c.user],
    [n.dsmPassword, c.password],
    [n.zertoUser, c.user],
    [n.zertoPassword, c.password],
    [n.zertoClientId, c.zertoClientId],
    [n.zertoClientSecret, c.zertoClientSecret],
    ['SLACK_BOT_TOKEN', c.slackBotToken],
    ['SLACK_SIGNING_SECRET', c.slackSigningSecret],
    ['SLACK_API_URL', o.slackApiUrl],
    ['BASCULE_CONFIG', o.sitesYaml],
  ];
  return `${vars.map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}
