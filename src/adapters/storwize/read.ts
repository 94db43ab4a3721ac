import type { StorwizeConnection } from './connection.js';
import { unexpectedOutput } from './errors.js';
import { parseConcise, parseDetailed } from './parse.js';
import { toGroup, toMemberRows, toRelationship } from './schema.js';
import { isCopying } from './status.js';
import type { RcView } from './types.js';

// Reads one relationship or consistency group from one array. Which site is master or aux comes
// from the cluster ids in the answer, matched against the answering array's own id (lssystem),
// not from the configuration: a relationship may have been created from either side.

export interface UnitRef {
  kind: 'relationship' | 'consistency-group';
  name: string;
}

export async function readUnit(
  conn: StorwizeConnection,
  ref: UnitRef,
  partnerSite: string,
  signal?: AbortSignal,
): Promise<RcView> {
  const me = await conn.identity(signal);
  const sites = (masterId: string, auxId: string) => {
    if (masterId.toUpperCase() === me.id.toUpperCase())
      return { masterSite: conn.site, auxSite: partnerSite };
    if (auxId.toUpperCase() === me.id.toUpperCase()) return { masterSite: partnerSite, auxSite: conn.site };
    throw unexpectedOutput(
      conn.array,
      `${ref.name} names neither cluster ${me.id} (${me.name}) as master nor as aux`,
    );
  };

  if (ref.kind === 'relationship') {
    const out = await conn.run(['svcinfo', 'lsrcrelationship', '-delim', ':', ref.name], 'read', signal);
    const r = toRelationship(parseDetailed(out, ':', conn.array), conn.array);
    return {
      array: conn.array,
      site: conn.site,
      kind: ref.kind,
      name: r.name,
      state: r.state,
      primary: r.primary,
      inSync: r.sync === 'in_sync',
      online: r.status === 'online',
      status: r.status,
      progress: r.progress,
      ...sites(r.master_cluster_id, r.aux_cluster_id),
      consistencyGroup: r.consistency_group_name === '' ? null : r.consistency_group_name,
    };
  }

  const out = await conn.run(['svcinfo', 'lsrcconsistgrp', '-delim', ':', ref.name], 'read', signal);
  const g = toGroup(parseDetailed(out, ':', conn.array), conn.array);
  let progress: number | null = null;
  if (isCopying(g.state) && g.members.length > 0) {
    // Groups report no progress of their own: average their members'.
    const rows = await conn.run(
      ['svcinfo', 'lsrcrelationship', '-delim', ':', '-filtervalue', `consistency_group_name=${ref.name}`],
      'read',
      signal,
    );
    const values = toMemberRows(parseConcise(rows, ':', conn.array), conn.array)
      .map((m) => m.progress)
      .filter((p): p is number => p !== null);
    progress = values.length ? Math.floor(values.reduce((a, b) => a + b, 0) / values.length) : null;
  }
  return {
    array: conn.array,
    site: conn.site,
    kind: ref.kind,
    name: g.name,
    state: g.state,
    primary: g.primary,
    inSync: g.sync === 'in_sync',
    online: g.status === 'online',
    status: g.status,
    progress,
    // An empty group names no clusters; its sites do not matter, nothing can act on it.
    ...(g.state === 'empty'
      ? { masterSite: conn.site, auxSite: partnerSite }
      : sites(g.master_cluster_id, g.aux_cluster_id)),
    consistencyGroup: null,
  };
}
