import type { Mode } from '../command-grammar.js';
import { MaintenanceError } from './errors.js';
import { formatLocal } from './local-time.js';
import type { MaintenanceWindow } from './types.js';

// The rules a window must follow before anything is stored: a known site, a future start, an end
// after the start, a reason, and no overlap with another live window on the same site.

export interface WindowDraft {
  site: string;
  destination: string | null;
  mode: Mode | null;
  reason: string;
  startsAt: number;
  endsAt: number;
}

export interface ValidationContext {
  sites: string[];
  timezone: string;
  now: number;
  /** Every stored window; the one being edited is recognised by `editing`. */
  existing: MaintenanceWindow[];
  editing?: string;
  /** On edit, an unchanged start may already be past (the window is under way). */
  startUnchanged?: boolean;
}

export interface ValidWindow {
  site: string;
  destination: string;
  mode: Mode | null;
  reason: string;
  startsAt: string;
  endsAt: string;
}

export const MAX_REASON_LENGTH = 500;

export function validateWindow(d: WindowDraft, ctx: ValidationContext): ValidWindow {
  const zone = ctx.timezone;
  if (!ctx.sites.includes(d.site)) {
    throw new MaintenanceError(
      'MAINT_UNKNOWN_SITE',
      `unknown site "${d.site}"`,
      `Name one of the configured sites: ${ctx.sites.join(', ')}.`,
      { site: d.site },
    );
  }
  const destination = d.destination ?? ctx.sites.find((s) => s !== d.site) ?? d.site;
  if (!ctx.sites.includes(destination) || destination === d.site) {
    throw new MaintenanceError(
      'MAINT_UNKNOWN_SITE',
      `destination "${destination}" is not another configured site`,
      `Name the site that runs the VMs during the window: ${ctx.sites.filter((s) => s !== d.site).join(', ')}.`,
      { destination },
    );
  }
  const reason = d.reason.trim();
  if (reason === '' || reason.length > MAX_REASON_LENGTH) {
    throw new MaintenanceError(
      'MAINT_BAD_REASON',
      reason === '' ? 'the reason is empty' : `the reason is ${reason.length} characters long`,
      `Say why the power is cut in 1 to ${MAX_REASON_LENGTH} characters, e.g. --reason "Transformer replacement".`,
    );
  }
  if (d.endsAt <= d.startsAt) {
    throw new MaintenanceError(
      'MAINT_END_BEFORE_START',
      `the window ends (${formatLocal(d.endsAt, zone)}) before it starts (${formatLocal(d.startsAt, zone)})`,
      'Give an end time (--to) later than the start time (--from).',
    );
  }
  if (d.endsAt <= ctx.now || (!ctx.startUnchanged && d.startsAt <= ctx.now)) {
    const which = d.endsAt <= ctx.now ? 'ends' : 'starts';
    const at = which === 'ends' ? d.endsAt : d.startsAt;
    throw new MaintenanceError(
      'MAINT_IN_PAST',
      `the window ${which} in the past (${formatLocal(at, zone)}; it is now ${formatLocal(ctx.now, zone)})`,
      `Give times in the future, in ${zone} time unless you write an offset.`,
    );
  }
  for (const w of ctx.existing) {
    if (w.id === ctx.editing || w.site !== d.site) continue;
    if (w.state === 'cancelled' || w.state === 'done') continue;
    const s = Date.parse(w.startsAt);
    const e = Date.parse(w.endsAt);
    if (d.startsAt < e && s < d.endsAt) {
      throw new MaintenanceError(
        'MAINT_OVERLAP',
        `${d.site} already has maintenance ${w.id} from ${formatLocal(s, zone)} to ${formatLocal(e, zone)}, which overlaps`,
        `Edit ${w.id} instead (maintenance edit ${w.id} --from … --to …), or cancel it first.`,
        { overlaps: w.id },
      );
    }
  }
  return {
    site: d.site,
    destination,
    mode: d.mode,
    reason,
    startsAt: new Date(d.startsAt).toISOString(),
    endsAt: new Date(d.endsAt).toISOString(),
  };
}
