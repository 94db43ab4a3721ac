import type { Mode } from '../../domain/command-grammar.js';
import { type OperatorAccess, requireOperator } from '../../domain/maintenance/access.js';
import { MaintenanceError } from '../../domain/maintenance/errors.js';
import { renderIcs } from '../../domain/maintenance/ics.js';
import { parseLocalTime } from '../../domain/maintenance/local-time.js';
import { renderAnnouncement, renderCancellation } from '../../domain/maintenance/messages.js';
import type { SlackMessage } from '../../domain/maintenance/slack-format.js';
import { visibleWindows } from '../../domain/maintenance/status-view.js';
import type {
  MaintenanceState,
  MaintenanceWindow,
  NotificationSettings,
  PostedMessage,
  RunLink,
  ServiceImpact,
} from '../../domain/maintenance/types.js';
import { validateWindow } from '../../domain/maintenance/validate.js';
import type { ReminderScheduler } from './reminders.js';
import type { MessageSender } from './sender.js';
import { type MaintenanceStore, newWindowId } from './store.js';

// Schedule, edit, cancel, list: validation (pure), an atomic write, the reminders' jobs, then the
// announcement. Used by the CLI today and by the /maintenance command once the bot wires it.

export interface MaintenanceServiceDeps {
  store: MaintenanceStore;
  reminders: ReminderScheduler;
  /** null: do not post (the CLI without a Slack token). */
  sender: MessageSender | null;
  sites: string[];
  settings: NotificationSettings;
  access: OperatorAccess;
  clock: () => number;
  newId?: () => string;
}

export interface Actor {
  /** Slack user id of whoever acts (U…), or null when unknown. */
  id: string | null;
  /** The caller's answer to "is this user in access.operatorGroup?". */
  inOperatorGroup?: boolean;
}

export interface ScheduleInput {
  site: string;
  from: string;
  to: string;
  reason: string;
  mode: Mode | null;
  destination: string | null;
  /** From `impactFromPlan` or `servicesWithoutPlan`; null when not known yet. */
  impact?: ServiceImpact[] | null;
}

export interface EditInput {
  id: string;
  from: string | null;
  to: string | null;
  reason: string | null;
  mode: Mode | null;
  destination: string | null;
  impact?: ServiceImpact[] | null;
}

export interface ChangeResult {
  window: MaintenanceWindow;
  posted: PostedMessage[];
  /** Channels the announcement could not reach (the window is saved anyway). */
  postErrors: Array<{ channel: string; error: string }>;
}

const closedStates: MaintenanceState[] = ['cancelled', 'done'];

export class MaintenanceService {
  constructor(private readonly deps: MaintenanceServiceDeps) {}

  private get zone(): string {
    return this.deps.settings.timezone;
  }

  async schedule(input: ScheduleInput, actor: Actor): Promise<ChangeResult> {
    requireOperator(actor.id, this.deps.access, actor.inOperatorGroup);
    const now = this.deps.clock();
    const startsAt = parseLocalTime(input.from, this.zone, '--from');
    const endsAt = parseLocalTime(input.to, this.zone, '--to');
    const id = (this.deps.newId ?? newWindowId)();
    const window = await this.deps.store.transact((existing) => {
      if (existing.some((w) => w.id === id)) {
        throw new MaintenanceError('MAINT_CONFLICT', `window id ${id} is taken`, 'Try again.');
      }
      const valid = validateWindow(
        { ...input, startsAt, endsAt },
        { sites: this.deps.sites, timezone: this.zone, now, existing },
      );
      const at = new Date(now).toISOString();
      const w: MaintenanceWindow = {
        id,
        ...valid,
        timezone: this.zone,
        state: 'scheduled',
        version: 0,
        createdBy: actor.id ?? 'unknown',
        createdAt: at,
        updatedBy: actor.id ?? 'unknown',
        updatedAt: at,
        impact: input.impact ?? null,
        reminders: [],
        announcements: [],
        runs: {},
      };
      return { ...w, reminders: this.deps.reminders.plan(w) };
    });
    await this.deps.reminders.apply(window.id, [], window.reminders);
    return this.announce(window, renderAnnouncement(window, { type: 'scheduled' }));
  }

  async edit(input: EditInput, actor: Actor): Promise<ChangeResult> {
    requireOperator(actor.id, this.deps.access, actor.inOperatorGroup);
    const now = this.deps.clock();
    const newStart = input.from === null ? null : parseLocalTime(input.from, this.zone, '--from');
    const newEnd = input.to === null ? null : parseLocalTime(input.to, this.zone, '--to');
    let previous: MaintenanceWindow | null = null;
    const window = await this.deps.store.transact((existing) => {
      const w = existing.find((x) => x.id === input.id);
      if (!w) {
        throw new MaintenanceError(
          'MAINT_NOT_FOUND',
          `no maintenance window ${input.id}`,
          'Check the ID with `maintenance list --all`.',
        );
      }
      if (closedStates.includes(w.state)) {
        throw new MaintenanceError(
          'MAINT_CLOSED',
          `maintenance ${w.id} is ${w.state} and cannot be edited`,
          'Schedule a new window instead.',
        );
      }
      previous = w;
      const startsAt = newStart ?? Date.parse(w.startsAt);
      const valid = validateWindow(
        {
          site: w.site,
          destination: input.destination ?? w.destination,
          mode: input.mode ?? w.mode,
          reason: input.reason ?? w.reason,
          startsAt,
          endsAt: newEnd ?? Date.parse(w.endsAt),
        },
        {
          sites: this.deps.sites,
          timezone: this.zone,
          now,
          existing,
          editing: w.id,
          startUnchanged: startsAt === Date.parse(w.startsAt),
        },
      );
      const next: MaintenanceWindow = {
        ...w,
        ...valid,
        version: w.version + 1,
        updatedBy: actor.id ?? 'unknown',
        updatedAt: new Date(now).toISOString(),
        impact: input.impact === undefined ? w.impact : input.impact,
      };
      return { ...next, reminders: this.deps.reminders.plan(next) };
    });
    await this.deps.reminders.apply(
      window.id,
      (previous as MaintenanceWindow | null)?.reminders ?? [],
      window.reminders,
    );
    return this.announce(window, renderAnnouncement(window, { type: 'updated' }));
  }

  async cancel(id: string, actor: Actor): Promise<ChangeResult> {
    requireOperator(actor.id, this.deps.access, actor.inOperatorGroup);
    const now = this.deps.clock();
    let previous: MaintenanceWindow | null = null;
    const window = await this.deps.store.update(id, (w) => {
      if (closedStates.includes(w.state)) {
        throw new MaintenanceError(
          'MAINT_CLOSED',
          `maintenance ${w.id} is already ${w.state}`,
          'Nothing to cancel.',
        );
      }
      previous = w;
      return {
        ...w,
        state: 'cancelled',
        version: w.version + 1,
        updatedBy: actor.id ?? 'unknown',
        updatedAt: new Date(now).toISOString(),
        reminders: [],
      };
    });
    await this.deps.reminders.apply(window.id, (previous as MaintenanceWindow | null)?.reminders ?? [], []);
    return this.announce(window, renderCancellation(window));
  }

  /**
   * The bot records progress: a run started (migrating), the site is empty (in-progress), failback,
   * done. Links the run's thread for the status view; done drops the remaining reminders.
   */
  async setState(
    id: string,
    state: Exclude<MaintenanceState, 'cancelled'>,
    run?: { kind: 'migrate' | 'failback'; link: RunLink },
  ): Promise<MaintenanceWindow> {
    const now = this.deps.clock();
    let previous: MaintenanceWindow | null = null;
    const window = await this.deps.store.update(id, (w) => {
      if (w.state === 'cancelled') {
        throw new MaintenanceError(
          'MAINT_CLOSED',
          `maintenance ${w.id} is cancelled`,
          'Schedule a new window instead.',
        );
      }
      previous = w;
      return {
        ...w,
        state,
        updatedAt: new Date(now).toISOString(),
        runs: run ? { ...w.runs, [run.kind]: run.link } : w.runs,
        reminders: state === 'done' ? [] : w.reminders,
      };
    });
    if (state === 'done') {
      await this.deps.reminders.apply(window.id, (previous as MaintenanceWindow | null)?.reminders ?? [], []);
    }
    return window;
  }

  /**
   * A run linked to a window ended: a successful migration means the maintenance is in progress,
   * a successful failback that it is done. Other outcomes leave the state for the operators.
   */
  async runEnded(runId: string, succeeded: boolean): Promise<MaintenanceWindow | null> {
    if (!succeeded) return null;
    for (const w of await this.deps.store.list()) {
      if (w.state === 'cancelled' || w.state === 'done') continue;
      if (w.runs.failback?.runId === runId) return this.setState(w.id, 'done');
      if (w.runs.migrate?.runId === runId && w.state === 'migrating')
        return this.setState(w.id, 'in-progress');
    }
    return null;
  }

  async list(all = false): Promise<MaintenanceWindow[]> {
    return visibleWindows(await this.deps.store.list(), this.deps.clock(), all);
  }

  show(id: string): Promise<MaintenanceWindow> {
    return this.deps.store.require(id);
  }

  /** The feed served at GET /maintenance.ics and printed by `bascule maintenance ics`. */
  async ics(domain?: string): Promise<string> {
    return renderIcs(await this.deps.store.list(), { now: this.deps.clock(), ...(domain ? { domain } : {}) });
  }

  /** Re-creates missing reminder jobs and recomputes delays from the clock (worker start-up). */
  async resyncReminders(): Promise<void> {
    await this.deps.reminders.resync(await this.deps.store.list());
  }

  private async announce(window: MaintenanceWindow, message: SlackMessage): Promise<ChangeResult> {
    const posted: PostedMessage[] = [];
    const postErrors: ChangeResult['postErrors'] = [];
    const sender = this.deps.sender;
    if (!sender) return { window, posted, postErrors };
    for (const channel of this.deps.settings.announceChannels) {
      try {
        const res = await sender.post(channel, message);
        posted.push({ channel: res.channel, ts: res.ts });
      } catch (err) {
        postErrors.push({ channel, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (posted.length === 0) return { window, posted, postErrors };
    const saved = await this.deps.store.update(window.id, (w) => ({
      ...w,
      announcements: [...w.announcements, ...posted],
    }));
    return { window: saved, posted, postErrors };
  }
}
