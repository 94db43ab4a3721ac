import { z } from 'zod';
import { unexpectedOutput } from './errors.js';
import { type DetailedView, firstValues } from './parse.js';

// What Bascule reads from the CLI, checked at the edge. Attributes it does not use are ignored
// (newer code levels add some); the ones it decides on are strict: an unknown state stops the
// action rather than being guessed at.

export const rcStates = [
  'inconsistent_stopped',
  'inconsistent_copying',
  'consistent_stopped',
  'consistent_synchronized',
  'consistent_copying',
  'idling',
  'idling_disconnected',
  'inconsistent_disconnected',
  'consistent_disconnected',
  'empty',
] as const;

export const rcStateSchema = z.enum(rcStates);

const primary = z.enum(['', 'master', 'aux']).transform((v) => (v === '' ? null : v));
const progress = z
  .string()
  .regex(/^(\d{1,3})?$/, 'a percentage or blank')
  .transform((v) => (v === '' ? null : Number(v)))
  .refine((v) => v === null || v <= 100, 'at most 100');
const id = z.string().regex(/^\d+$/, 'a numeric id');
const clusterId = z.string().regex(/^[0-9A-Fa-f]{1,32}$/, 'a cluster id');

export const relationshipSchema = z.object({
  id,
  name: z.string().min(1),
  master_cluster_id: clusterId,
  master_cluster_name: z.string(),
  aux_cluster_id: clusterId,
  aux_cluster_name: z.string(),
  primary,
  consistency_group_id: z.string(),
  consistency_group_name: z.string(),
  state: rcStateSchema,
  progress,
  freeze_time: z.string(),
  status: z.string(),
  // Seen as in_sync / out_of_sync / blank; only in_sync is ever trusted, so other values are safe.
  sync: z.string(),
});

export const groupSchema = z.object({
  id,
  name: z.string().min(1),
  master_cluster_id: clusterId.or(z.literal('')),
  master_cluster_name: z.string(),
  aux_cluster_id: clusterId.or(z.literal('')),
  aux_cluster_name: z.string(),
  primary,
  state: rcStateSchema,
  relationship_count: z.string().regex(/^\d+$/).transform(Number),
  freeze_time: z.string(),
  status: z.string(),
  sync: z.string(),
});

export const memberRowSchema = z.object({ name: z.string().min(1), state: rcStateSchema, progress });

export const systemSchema = z.object({ id: clusterId, name: z.string().min(1) });

export type RelationshipRecord = z.infer<typeof relationshipSchema>;
export type GroupRecord = z.infer<typeof groupSchema> & { members: string[] };
export type MemberRow = z.infer<typeof memberRowSchema>;
export type SystemRecord = z.infer<typeof systemSchema>;

function check<T>(schema: z.ZodType<T>, value: unknown, array: string, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid';
  throw unexpectedOutput(array, `${what}: ${where}`, JSON.stringify(value));
}

function single(views: DetailedView[], array: string, what: string): DetailedView {
  const [view, ...rest] = views;
  if (!view || rest.length > 0)
    throw unexpectedOutput(array, `${what}: expected one object, got ${views.length}`);
  return view;
}

export function toRelationship(views: DetailedView[], array: string): RelationshipRecord {
  return check(
    relationshipSchema,
    firstValues(single(views, array, 'lsrcrelationship')),
    array,
    'lsrcrelationship',
  );
}

export function toGroup(views: DetailedView[], array: string): GroupRecord {
  const view = single(views, array, 'lsrcconsistgrp');
  const record = check(groupSchema, firstValues(view), array, 'lsrcconsistgrp');
  // Members are listed as repeated RC_rel_name lines.
  const members = [...(view.get('RC_rel_name') ?? [])];
  if (members.length !== record.relationship_count) {
    throw unexpectedOutput(
      array,
      `lsrcconsistgrp lists ${members.length} members for relationship_count ${record.relationship_count}`,
    );
  }
  return { ...record, members };
}

export function toMemberRows(rows: Array<Record<string, string>>, array: string): MemberRow[] {
  return rows.map((r) => check(memberRowSchema, r, array, 'lsrcrelationship'));
}

export function toSystem(views: DetailedView[], array: string): SystemRecord {
  return check(systemSchema, firstValues(single(views, array, 'lssystem')), array, 'lssystem');
}
