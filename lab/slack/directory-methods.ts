import { z } from 'zod';
import { type ApiMethod, fail } from './api-context.js';
import { bool, invalidArguments, str, zodMessages } from './args.js';
import type { SlackUserSpec } from './types.js';

// Read-only methods on the workspace: who the bot is, channels, users and user groups. Answers
// carry the fields Slack documents that a bot plausibly reads; ids and names come from the spec.

const created = 1_600_000_000;

const authTest: ApiMethod = (_args, store) => {
  const { team, bot } = store.workspace;
  return {
    ok: true,
    url: `https://${team.domain}.slack.com/`,
    team: team.name,
    user: bot.name,
    team_id: team.id,
    user_id: bot.userId,
    bot_id: bot.botId,
    is_enterprise_install: false,
  };
};

const conversationsInfo: ApiMethod = (raw, store) => {
  const parsed = z.looseObject({ channel: str.optional() }).safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const c = parsed.data.channel === undefined ? undefined : store.channel(parsed.data.channel);
  // A private channel the bot is not in does not exist as far as the bot can tell.
  if (!c || (c.isPrivate && c.botIsMember === false)) return fail('channel_not_found');
  const isIm = c.isIm === true;
  return {
    ok: true,
    channel: {
      id: c.id,
      name: c.name,
      name_normalized: c.name,
      is_channel: !isIm && !c.isPrivate,
      is_group: false,
      is_im: isIm,
      is_mpim: false,
      is_private: isIm || c.isPrivate === true,
      is_archived: c.isArchived === true,
      is_general: false,
      is_member: c.botIsMember !== false,
      is_ext_shared: false,
      is_org_shared: false,
      created,
      creator: store.workspace.users[0]?.id ?? '',
      ...(isIm ? { user: c.members?.[0] } : {}),
    },
  };
};

function wireUser(u: SlackUserSpec, teamId: string): Record<string, unknown> {
  const realName = u.realName ?? u.name;
  return {
    id: u.id,
    team_id: teamId,
    name: u.name,
    deleted: u.deleted === true,
    real_name: realName,
    tz: u.tz ?? 'Europe/Paris',
    tz_label: 'Central European Time',
    tz_offset: 3600,
    is_admin: u.isAdmin === true,
    is_owner: false,
    is_bot: u.isBot === true,
    is_app_user: false,
    updated: created,
    profile: {
      real_name: realName,
      real_name_normalized: realName,
      display_name: u.name,
      display_name_normalized: u.name,
      team: teamId,
    },
  };
}

const usersInfo: ApiMethod = (raw, store) => {
  const parsed = z.looseObject({ user: str.optional() }).safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const u = parsed.data.user === undefined ? undefined : store.user(parsed.data.user);
  if (!u) return fail('user_not_found');
  return { ok: true, user: wireUser(u, store.workspace.team.id) };
};

const usergroupsUsersList: ApiMethod = (raw, store) => {
  const parsed = z
    .looseObject({ usergroup: str.optional(), include_disabled: bool.optional() })
    .safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const id = parsed.data.usergroup;
  if (id === undefined || id === '') return invalidArguments(['missing required field: usergroup']);
  if (!store.workspace.userGroups.some((g) => g.id === id)) return fail('no_such_subteam');
  // Deactivated accounts leave their groups in Slack.
  const users = store.workspace.users
    .filter((u) => !u.deleted && (u.groups ?? []).includes(id))
    .map((u) => u.id);
  return { ok: true, users };
};

export const directoryMethods: Record<string, ApiMethod> = {
  'auth.test': authTest,
  'conversations.info': conversationsInfo,
  'users.info': usersInfo,
  'usergroups.users.list': usergroupsUsersList,
};
