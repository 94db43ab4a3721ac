import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type ApiMethod, fail } from './api-context.js';
import { invalidArguments, jsonObject, str, zodMessages } from './args.js';
import { viewErrors, withIds } from './blocks.js';
import type { SlackStore } from './store.js';
import type { SlackView } from './types.js';

// Modals (confirmation dialogs). A trigger id opens one view, once, within its lifetime; the view
// must satisfy Slack's modal limits (title ≤ 24 characters, ≤ 100 blocks, …).

const openArgs = z.looseObject({ trigger_id: str.optional(), view: jsonObject.optional() });
const updateArgs = z.looseObject({
  view_id: str.optional(),
  external_id: str.optional(),
  hash: str.optional(),
  view: jsonObject.optional(),
});

function viewId(): string {
  return `V${randomBytes(5).toString('hex').toUpperCase()}`;
}

function hash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;
}

function build(
  view: Record<string, unknown>,
  store: SlackStore,
  user: string,
  previous?: SlackView,
): SlackView {
  const id = previous?.id ?? viewId();
  return {
    id,
    team_id: store.workspace.team.id,
    type: String(view.type),
    title: view.title,
    submit: view.submit,
    close: view.close,
    blocks: Array.isArray(view.blocks) ? withIds(view.blocks) : [],
    private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
    callback_id: typeof view.callback_id === 'string' ? view.callback_id : '',
    external_id: typeof view.external_id === 'string' ? view.external_id : '',
    hash: hash(),
    app_id: store.workspace.bot.appId,
    bot_id: store.workspace.bot.botId,
    root_view_id: previous?.root_view_id ?? id,
    previous_view_id: null,
    state: { values: {} },
    user,
    openedAt: Date.now(),
  };
}

export function wireView(v: SlackView): Record<string, unknown> {
  const { user: _user, openedAt: _openedAt, ...rest } = v;
  return rest;
}

const open =
  (push: boolean): ApiMethod =>
  (raw, store) => {
    const parsed = openArgs.safeParse(raw);
    if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
    const { trigger_id: triggerId, view } = parsed.data;
    if (triggerId === undefined || triggerId === '')
      return invalidArguments(['missing required field: trigger_id']);
    if (view === undefined) return invalidArguments(['missing required field: view']);
    const errors = viewErrors(view);
    if (errors.length > 0) return invalidArguments(errors);
    const trigger = store.useTrigger(triggerId);
    if (typeof trigger === 'string') return fail(trigger);
    if (push && !store.views.some((v) => v.user === trigger.user)) return fail('not_found');
    const v = build(view, store, trigger.user);
    store.views.push(v);
    return { ok: true, view: wireView(v) };
  };

const update: ApiMethod = (raw, store) => {
  const parsed = updateArgs.safeParse(raw);
  if (!parsed.success) return invalidArguments(zodMessages(parsed.error));
  const a = parsed.data;
  if (a.view === undefined) return invalidArguments(['missing required field: view']);
  const i = store.views.findIndex(
    (v) =>
      (a.view_id !== undefined && v.id === a.view_id) ||
      (a.external_id !== undefined && v.external_id === a.external_id),
  );
  const previous = store.views[i];
  if (!previous) return fail('not_found');
  if (a.hash !== undefined && a.hash !== previous.hash) return fail('hash_conflict');
  const errors = viewErrors(a.view);
  if (errors.length > 0) return invalidArguments(errors);
  const v = build(a.view, store, previous.user, previous);
  store.views[i] = v;
  return { ok: true, view: wireView(v) };
};

export const viewMethods: Record<string, ApiMethod> = {
  'views.open': open(false),
  'views.push': open(true),
  'views.update': update,
};
