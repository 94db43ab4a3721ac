import type { SlackChannelSpec, SlackUserSpec, SlackWorkspaceSpec } from './types.js';

// The people and channels of the lab's Slack workspace. Ids follow Slack's formats so that
// sites.yaml validation (U…, S…, C…) accepts them; names say what each person may do, so a test
// reading `lab.slack.users.approver` needs no lookup table.

export const labTeam = { id: 'T0LABTEAM1', domain: 'bascule-lab', name: 'Bascule Lab' } as const;
export const labBot = {
  userId: 'U0LABBOT01',
  botId: 'B0LABBOT01',
  appId: 'A0LABAPP01',
  name: 'bascule',
} as const;

export const labGroups = {
  operators: { id: 'S0LABOPS01', handle: 'infra-ops', name: 'Infrastructure operators' },
  admins: { id: 'S0LABADM01', handle: 'sysadmins', name: 'System administrators' },
} as const;

/** Roles in the lab: who starts runs, who approves them, and who may do neither. */
export const labUsers = {
  operator: { id: 'U0LABALICE', name: 'alice', realName: 'Alice Operator', groups: [labGroups.operators.id] },
  approver: {
    id: 'U0LABBOB01',
    name: 'bob',
    realName: 'Bob Approver',
    groups: [labGroups.operators.id, labGroups.admins.id],
  },
  approver2: { id: 'U0LABCAROL', name: 'carol', realName: 'Carol Approver', groups: [labGroups.admins.id] },
  outsider: { id: 'U0LABDAVE1', name: 'dave', realName: 'Dave Student', groups: [] },
  departed: { id: 'U0LABERIN1', name: 'erin', realName: 'Erin Former', groups: [], deleted: true },
} as const satisfies Record<string, SlackUserSpec>;

function tag(site: string): string {
  return site.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Channel id announcing runs for one site. */
export function siteChannelId(site: string): string {
  return `C0LAB${tag(site)}`;
}

export const labChannels = {
  infra: { id: 'C0LABINFRA', name: 'infra-ops' },
  announce: { id: 'C0LABANNOUNCE', name: 'announce' },
  /** A channel the bot was never invited to: posting there answers `not_in_channel`. */
  random: { id: 'C0LABRANDOM', name: 'random', botIsMember: false },
  archived: { id: 'C0LABOLDOPS', name: 'old-ops', isArchived: true },
} as const satisfies Record<string, SlackChannelSpec>;

export function labWorkspace(sites: readonly string[]): SlackWorkspaceSpec {
  return {
    team: { ...labTeam },
    bot: { ...labBot },
    users: Object.values(labUsers).map((u) => ({ ...u, groups: [...u.groups], tz: 'Europe/Paris' })),
    userGroups: Object.values(labGroups).map((g) => ({ ...g })),
    channels: [
      ...sites.map((s) => ({ id: siteChannelId(s), name: `ops-${s}` })),
      ...Object.values(labChannels).map((c) => ({ ...c })),
    ],
  };
}
