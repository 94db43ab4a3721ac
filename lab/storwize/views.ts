import { freezeTime } from './format.js';
import type { ArrayInfo, Group, Partnership, Relationship } from './partnership.js';

// The attributes each ls command prints, in the order of the reference (§1.2, §1.3): the detailed
// relationship keys are the ones Cinder's simulator and the IBM Ansible fixture list; the concise
// views keep `primary` as the 11th relationship column, as a real V7000 script reads it.

export const relationshipColumns = [
  'id',
  'name',
  'master_cluster_id',
  'master_cluster_name',
  'master_vdisk_id',
  'master_vdisk_name',
  'aux_cluster_id',
  'aux_cluster_name',
  'aux_vdisk_id',
  'aux_vdisk_name',
  'primary',
  'consistency_group_id',
  'consistency_group_name',
  'state',
  'bg_copy_priority',
  'progress',
  'copy_type',
  'cycling_mode',
  'freeze_time',
] as const;

export const groupColumns = [
  'id',
  'name',
  'master_cluster_id',
  'master_cluster_name',
  'aux_cluster_id',
  'aux_cluster_name',
  'primary',
  'state',
  'relationship_count',
  'copy_type',
  'cycling_mode',
  'freeze_time',
] as const;

export function relationshipFields(p: Partnership, rel: Relationship, on: ArrayInfo): Record<string, string> {
  const v = p.view(rel.unit, p.roleOf(on, rel.unit));
  return {
    id: String(rel.id),
    name: rel.name,
    master_cluster_id: rel.master.clusterId,
    master_cluster_name: rel.master.name,
    master_vdisk_id: String(rel.masterVdisk.id),
    master_vdisk_name: rel.masterVdisk.name,
    aux_cluster_id: rel.aux.clusterId,
    aux_cluster_name: rel.aux.name,
    aux_vdisk_id: String(rel.auxVdisk.id),
    aux_vdisk_name: rel.auxVdisk.name,
    primary: v.primary,
    consistency_group_id: rel.group ? String(rel.group.id) : '',
    consistency_group_name: rel.group?.name ?? '',
    state: v.state,
    bg_copy_priority: '50',
    progress: v.progress === null ? '' : String(v.progress),
    freeze_time: freezeTime(v.freezeTime),
    status: v.status,
    sync: v.sync,
    copy_type: 'global',
    cycling_mode: 'none',
    cycle_period_seconds: '300',
    master_change_vdisk_id: '',
    master_change_vdisk_name: '',
    aux_change_vdisk_id: '',
    aux_change_vdisk_name: '',
  };
}

export const relationshipDetailKeys = [
  'id',
  'name',
  'master_cluster_id',
  'master_cluster_name',
  'master_vdisk_id',
  'master_vdisk_name',
  'aux_cluster_id',
  'aux_cluster_name',
  'aux_vdisk_id',
  'aux_vdisk_name',
  'primary',
  'consistency_group_id',
  'consistency_group_name',
  'state',
  'bg_copy_priority',
  'progress',
  'freeze_time',
  'status',
  'sync',
  'copy_type',
  'cycling_mode',
  'cycle_period_seconds',
  'master_change_vdisk_id',
  'master_change_vdisk_name',
  'aux_change_vdisk_id',
  'aux_change_vdisk_name',
] as const;

export function groupFields(p: Partnership, g: Group, on: ArrayInfo): Record<string, string> {
  const v = p.view(g.unit, p.roleOf(on, g.unit));
  return {
    id: String(g.id),
    name: g.name,
    master_cluster_id: g.master.clusterId,
    master_cluster_name: g.master.name,
    aux_cluster_id: g.aux.clusterId,
    aux_cluster_name: g.aux.name,
    primary: v.primary,
    state: v.state,
    relationship_count: String(g.members.length),
    freeze_time: freezeTime(v.freezeTime),
    status: v.status,
    sync: v.sync,
    copy_type: g.members.length === 0 ? 'empty_group' : 'global',
    cycle_period_seconds: '300',
    cycling_mode: 'none',
  };
}

export const groupDetailKeys = [
  'id',
  'name',
  'master_cluster_id',
  'master_cluster_name',
  'aux_cluster_id',
  'aux_cluster_name',
  'primary',
  'state',
  'relationship_count',
  'freeze_time',
  'status',
  'sync',
  'copy_type',
  'cycle_period_seconds',
  'cycling_mode',
] as const;

/** Detailed group view: its attributes, then each member as an RC_rel_id / RC_rel_name pair. */
export function groupDetail(p: Partnership, g: Group, on: ArrayInfo): Array<[string, string]> {
  const f = groupFields(p, g, on);
  const pairs: Array<[string, string]> = groupDetailKeys.map((k) => [k, f[k] ?? '']);
  for (const r of g.members) pairs.push(['RC_rel_id', String(r.id)], ['RC_rel_name', r.name]);
  return pairs;
}

/** Filter attribute (lower case) → column, with the RC_rel_* aliases real scripts use. */
export function filterColumns(
  columns: readonly string[],
  aliases: Record<string, string>,
): Map<string, string> {
  const m = new Map(columns.map((c) => [c.toLowerCase(), c]));
  for (const [alias, column] of Object.entries(aliases)) m.set(alias.toLowerCase(), column);
  return m;
}
