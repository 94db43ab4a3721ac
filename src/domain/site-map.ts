import type { Topology } from '../config/schema.js';
import type { InventoryCluster, InventoryHost, InventoryIndex } from './inventory.js';

// Sites are a Bascule notion, not a vCenter one: a host belongs to a site through its cluster, and
// the topology lists each site's clusters by name. Standalone hosts (no cluster) belong to no site,
// so Bascule never places anything on them.

export interface SiteMap {
  siteOfCluster: Map<string, string>;
  siteOfHost: Map<string, string>;
  clustersOfSite: Map<string, InventoryCluster[]>;
  hostsOfSite: Map<string, InventoryHost[]>;
  /** Cluster names in the topology that the inventory does not have. */
  missingClusters: Array<{ site: string; cluster: string }>;
}

export function buildSiteMap(topology: Topology, idx: InventoryIndex): SiteMap {
  const map: SiteMap = {
    siteOfCluster: new Map(),
    siteOfHost: new Map(),
    clustersOfSite: new Map(),
    hostsOfSite: new Map(),
    missingClusters: [],
  };
  for (const site of topology.sites) {
    const clusters: InventoryCluster[] = [];
    const hosts: InventoryHost[] = [];
    for (const name of site.clusters) {
      const cluster = idx.clusterByName.get(name);
      if (!cluster) {
        map.missingClusters.push({ site: site.name, cluster: name });
        continue;
      }
      clusters.push(cluster);
      map.siteOfCluster.set(cluster.id, site.name);
      for (const hostId of cluster.hosts) {
        const host = idx.host.get(hostId);
        if (!host) continue;
        hosts.push(host);
        map.siteOfHost.set(host.id, site.name);
      }
    }
    map.clustersOfSite.set(site.name, clusters);
    map.hostsOfSite.set(site.name, hosts);
  }
  return map;
}

/** A host that can take VMs now. */
export function hostUsable(host: InventoryHost): boolean {
  return host.connectionState === 'connected' && !host.inMaintenance;
}
