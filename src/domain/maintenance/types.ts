import type { Mode } from '../command-grammar.js';

// A maintenance window: a site loses power between two instants. Bascule stores it, announces it,
// reminds people before it and nudges the operators at its start and end. Instants are ISO 8601
// UTC strings; the zone the operator typed them in is kept for display.

export type MaintenanceState =
  | 'scheduled'
  | 'migrating'
  | 'in-progress'
  | 'failing-back'
  | 'done'
  | 'cancelled';

export const STATE_LABELS: Record<MaintenanceState, string> = {
  scheduled: 'scheduled',
  migrating: 'migrating',
  'in-progress': 'in progress',
  'failing-back': 'failing back',
  done: 'done',
  cancelled: 'cancelled',
};

/** What a service goes through while its site is emptied. */
export type ImpactKind = 'downtime' | 'reboot' | 'none' | 'unknown';

export interface ServiceImpact {
  service: string;
  kind: ImpactKind;
  /** Rough stop duration (shutdown to power-on of the service's units); null when not estimated. */
  downtimeMs: number | null;
  /** Slack user (U…/W…) or user-group (S…) ids found in the owner attribute. */
  owners: string[];
  vms: string[];
}

/** A Slack thread linked to the window (the migration run, the failback run). */
export interface RunLink {
  runId: string;
  channel: string;
  ts: string;
  permalink?: string;
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

export type ReminderKind = `reminder-${string}` | 'start-prompt' | 'end-prompt';

export interface ReminderPlanItem {
  kind: ReminderKind;
  /** ISO UTC instant it fires at. */
  at: string;
  /** BullMQ job id, stable for (window, kind, instant). */
  jobId: string;
}

export interface MaintenanceWindow {
  id: string;
  site: string;
  /** Where the VMs go while the site is off. */
  destination: string;
  mode: Mode | null;
  reason: string;
  startsAt: string;
  endsAt: string;
  /** Zone the times were given in (the configured notifications.timezone). */
  timezone: string;
  state: MaintenanceState;
  /** Bumped at each edit; the iCalendar SEQUENCE. */
  version: number;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
  impact: ServiceImpact[] | null;
  reminders: ReminderPlanItem[];
  announcements: PostedMessage[];
  runs: { migrate?: RunLink; failback?: RunLink };
}

/** The notification settings the domain reads (sites.yaml `notifications`). */
export interface NotificationSettings {
  timezone: string;
  opsChannel?: string | undefined;
  announceChannels: string[];
  reminders: string[];
  startPromptLead: string;
}

/** What the preflight early warning needs to know; the caller runs the preflight. */
export interface PreflightSummary {
  blocked: boolean;
  /** One line per blocking finding. */
  blockers: string[];
  /** Impact per service from the preflight's plan; replaces the window's stored impact. */
  impact?: ServiceImpact[];
}
