package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

const gib = int64(1) << 30

// buildInventory creates the datacenter, clusters, hosts, datastores and VMs of the model by calling
// the simulator's own methods in process, then patches what they leave wrong (hardware, VMFS
// identity, mounts, Tools).
func buildInventory(m *LabModel, dataDir string) (*Lab, *simulator.Model, error) {
	sm := simulator.VPX()
	sm.Datacenter = 0
	sm.Cluster = 0
	sm.ClusterHost = 0
	sm.Host = 0
	sm.Datastore = 0
	sm.Machine = 0
	sm.Portgroup = 0
	sm.Autostart = false
	if err := sm.Create(); err != nil {
		return nil, nil, err
	}

	l := &Lab{
		model:        m,
		ctx:          newLabContext(),
		dataDir:      dataDir,
		clusters:     map[string]*clusterState{},
		hosts:        map[string]*hostState{},
		hostByRef:    map[types.ManagedObjectReference]*hostState{},
		datastores:   map[string]*dsState{},
		dsByRef:      map[types.ManagedObjectReference]*dsState{},
		presented:    map[string]map[string]*dsState{},
		resignatured: map[string]*dsState{},
		vms:          map[string]*vmRecord{},
		fields:       map[string]int32{},
		keyName:      map[int32]string{},
		timing:       newTiming(m.TaskDurationsMs),
		faults:       newFaults(),
		sessions:     newSessionTracker(),
	}
	for _, s := range m.Sites {
		l.presented[s] = map[string]*dsState{}
	}

	steps := []struct {
		name string
		run  func() error
	}{
		{"datacenter", l.createDatacenter},
		{"hosts", l.createHosts},
		{"datastores", l.createDatastores},
		{"mounts", l.syncStorageStep},
		{"vms", l.createVMs},
		{"attributes", l.createAttributes},
		{"rules", l.createRules},
	}
	for _, step := range steps {
		started := time.Now()
		if err := step.run(); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(os.Stderr, "vcsim: built %s in %s\n", step.name, time.Since(started).Round(time.Millisecond))
	}
	l.syncStorage()
	l.refreshFreeSpace()
	return l, sm, nil
}

// syncStorageStep gives hosts their datastore lists before VMs are created on them.
func (l *Lab) syncStorageStep() error {
	l.syncStorage()
	return nil
}

func taskResult(ref types.ManagedObjectReference) (types.AnyType, error) {
	task, ok := simulator.Map.Get(ref).(*simulator.Task)
	if !ok {
		return nil, fmt.Errorf("task %s not found", ref)
	}
	if task.Info.Error != nil {
		return nil, fmt.Errorf("%s: %s", task.Info.Name, humanMessage(task.Info.Error.Fault))
	}
	return task.Info.Result, nil
}

func (l *Lab) createDatacenter() error {
	root := simulator.Map.Get(simulator.Map.Get(simulator.Map.Get(types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}).(*simulator.ServiceInstance).Content.RootFolder).Reference()).(*simulator.Folder)
	res := root.CreateDatacenter(l.ctx, &types.CreateDatacenter{This: root.Self, Name: l.model.Datacenter})
	if f := res.Fault(); f != nil {
		return fmt.Errorf("create datacenter: %s", f.String)
	}
	ref := res.(*methods.CreateDatacenterBody).Res.Returnval
	l.dc = simulator.Map.Get(ref).(*simulator.Datacenter)
	l.vmFolder = simulator.Map.Get(l.dc.VmFolder).(*simulator.Folder)
	l.dsFolder = simulator.Map.Get(l.dc.DatastoreFolder).(*simulator.Folder)
	hostFolder := simulator.Map.Get(l.dc.HostFolder).(*simulator.Folder)

	for _, site := range l.model.Sites {
		spec := types.ClusterConfigSpecEx{}
		cluster, fault := simulator.CreateClusterComputeResource(l.ctx, hostFolder, site, spec)
		if fault != nil {
			return fmt.Errorf("create cluster %s: %s", site, humanMessage(fault))
		}
		cfg := cluster.ConfigurationEx.(*types.ClusterConfigInfoEx)
		cfg.DrsConfig.DefaultVmBehavior = types.DrsBehaviorFullyAutomated
		l.clusters[site] = &clusterState{site: site, obj: cluster, pool: *cluster.ResourcePool}
	}
	return nil
}

func (l *Lab) createHosts() error {
	for _, mh := range l.model.Hosts {
		cs := l.clusters[mh.Site]
		res := cs.obj.AddHostTask(&types.AddHost_Task{
			This:        cs.obj.Self,
			Spec:        types.HostConnectSpec{HostName: mh.Name},
			AsConnected: true,
		})
		result, err := taskResult(res.(*methods.AddHost_TaskBody).Res.Returnval)
		if err != nil {
			return err
		}
		ref := result.(types.ManagedObjectReference)
		host := simulator.Map.Get(ref).(*simulator.HostSystem)

		hw := host.Summary.Hardware
		hw.CpuMhz = mh.CPUMhzPerCore
		hw.NumCpuCores = int16(mh.CPUCores)
		hw.NumCpuThreads = int16(mh.CPUCores * 2)
		hw.NumCpuPkgs = 2
		hw.MemorySize = mh.MemoryMb * 1024 * 1024
		info := *host.Hardware
		info.CpuInfo.NumCpuCores = int16(mh.CPUCores)
		info.CpuInfo.NumCpuThreads = int16(mh.CPUCores * 2)
		info.CpuInfo.NumCpuPackages = 2
		info.CpuInfo.Hz = int64(mh.CPUMhzPerCore) * 1_000_000
		info.MemorySize = hw.MemorySize
		host.Hardware = &info

		// The simulator shares one StorageDeviceInfo between all hosts; each host needs its own.
		orig := simulator.Map.Get(*host.ConfigManager.StorageSystem).(*simulator.HostStorageSystem)
		storage := &LabStorageSystem{lab: l}
		storage.HostStorageSystem = *orig
		storage.HostStorageSystem.StorageDeviceInfo = &types.HostStorageDeviceInfo{
			HostBusAdapter: fibreChannelAdapters(),
		}
		simulator.Map.Put(storage)
		dssOrig := simulator.Map.Get(*host.ConfigManager.DatastoreSystem).(*simulator.HostDatastoreSystem)
		dss := &LabDatastoreSystem{lab: l}
		dss.HostDatastoreSystem = *dssOrig
		simulator.Map.Put(dss)

		hs := &hostState{name: mh.Name, site: mh.Site, obj: host, storage: storage, dss: dss, cluster: cs, scanned: map[string]bool{}}
		storage.host = hs
		dss.host = hs
		l.hosts[mh.Name] = hs
		l.hostList = append(l.hostList, hs)
		l.hostByRef[ref] = hs
	}

	for _, cs := range l.clusters {
		s := cs.obj.Summary.GetComputeResourceSummary()
		*s = types.ComputeResourceSummary{OverallStatus: types.ManagedEntityStatusGreen}
		for _, ref := range cs.obj.Host {
			h := l.hostByRef[ref].obj.Summary.Hardware
			s.TotalCpu += h.CpuMhz * int32(h.NumCpuCores)
			s.TotalMemory += h.MemorySize
			s.NumCpuCores += h.NumCpuCores
			s.NumCpuThreads += h.NumCpuThreads
			s.EffectiveCpu += h.CpuMhz * int32(h.NumCpuCores)
			s.EffectiveMemory += h.MemorySize / (1024 * 1024)
			s.NumHosts++
			s.NumEffectiveHosts++
		}
	}
	return nil
}

// fibreChannelAdapters returns the FC HBAs of the simulator's ESX template; RescanAllHba no longer
// swaps them in and out.
func fibreChannelAdapters() []types.BaseHostHostBusAdapter {
	var out []types.BaseHostHostBusAdapter
	for i, port := range []int64{1152922127287604726, 1152922127287604554} {
		out = append(out, &types.HostFibreChannelHba{
			HostHostBusAdapter: types.HostHostBusAdapter{
				Key:    fmt.Sprintf("key-vim.host.FibreChannelHba-vmhba%d", i+2),
				Device: fmt.Sprintf("vmhba%d", i+2),
				Bus:    int32(59 + 36*i),
				Status: "online",
				Model:  "Emulex LightPulse LPe32000 PCIe Fibre Channel Adapter",
				Driver: "lpfc",
				Pci:    fmt.Sprintf("0000:%02x:00.0", 59+36*i),
			},
			PortWorldWideName: port,
			NodeWorldWideName: port + 1152921504606846976,
			PortType:          "fabric",
			Speed:             16,
		})
	}
	return out
}

func (l *Lab) createDatastores() error {
	for _, md := range l.model.Datastores {
		dir := filepath.Join(l.dataDir, md.Name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		d := &dsState{
			name:     md.Name,
			site:     md.Site,
			method:   md.Method,
			uuid:     md.VmfsUUID,
			lun:      md.Lun,
			replica:  md.ReplicaLun,
			capacity: md.CapacityGb * gib,
			dir:      dir,
			mounts:   map[*hostState]*mount{},
		}
		l.newDatastoreObject(d)
		for _, site := range md.MountedOn {
			dev := d.deviceFor(site)
			l.presented[site][dev] = d
			for _, h := range l.hostsOfSite(site) {
				h.scanned[dev] = true
				d.mounts[h] = &mount{device: dev}
			}
		}
	}
	return nil
}

// newDatastoreObject creates the Datastore managed object for d. The simulator only creates local
// datastores, whose moref is their temp dir; a VMFS one is built by hand instead. info.url stays a
// local directory because the simulator's file operations read it; summary.url has the real form.
func (l *Lab) newDatastoreObject(d *dsState) {
	ds := &simulator.Datastore{}
	ds.Name = d.name
	now := time.Now()
	ds.Info = &types.VmfsDatastoreInfo{
		DatastoreInfo: types.DatastoreInfo{
			Name:                   d.name,
			Url:                    d.dir,
			FreeSpace:              d.capacity,
			MaxFileSize:            62 * 1024 * gib,
			MaxVirtualDiskCapacity: 62 * 1024 * gib,
			MaxMemoryFileSize:      62 * 1024 * gib,
			Timestamp:              &now,
		},
		MaxPhysicalRDMFileSize: 64 * 1024 * gib,
		MaxVirtualRDMFileSize:  62 * 1024 * gib,
		Vmfs:                   vmfsVolume(d, d.lun, false),
	}
	ds.Summary = types.DatastoreSummary{
		Name:               d.name,
		Url:                fmt.Sprintf("ds:///vmfs/volumes/%s/", d.uuid),
		Capacity:           d.capacity,
		FreeSpace:          d.capacity,
		Type:               string(types.HostFileSystemVolumeFileSystemTypeVMFS),
		Accessible:         true,
		MaintenanceMode:    string(types.DatastoreSummaryMaintenanceModeStateNormal),
		MultipleHostAccess: types.NewBool(true),
	}
	ds.Capability = types.DatastoreCapability{
		DirectoryHierarchySupported:      true,
		RawDiskMappingsSupported:         true,
		PerFileThinProvisioningSupported: true,
		StorageIORMSupported:             types.NewBool(true),
		NativeSnapshotSupported:          types.NewBool(false),
		TopLevelDirectoryCreateSupported: types.NewBool(true),
		SeSparseSupported:                types.NewBool(true),
	}
	simulator.Map.PutEntity(l.dsFolder, simulator.Map.NewEntity(ds))
	ds.Summary.Datastore = &ds.Self
	simulator.Map.WithLock(l.dsFolder, func() {
		l.dsFolder.ChildEntity = append(l.dsFolder.ChildEntity, ds.Self)
	})
	simulator.Map.WithLock(l.dc, func() {
		l.dc.Datastore = append(l.dc.Datastore, ds.Self)
	})
	browser := &simulator.HostDatastoreBrowser{}
	browser.Datastore = []types.ManagedObjectReference{ds.Self}
	ds.Browser = simulator.Map.Put(browser).Reference()

	d.obj = ds
	l.datastores[d.name] = d
	l.dsList = append(l.dsList, d)
	l.dsByRef[ds.Self] = d
}

func vmfsVolume(d *dsState, device string, forced bool) *types.HostVmfsVolume {
	v := &types.HostVmfsVolume{
		HostFileSystemVolume: types.HostFileSystemVolume{
			Type:     string(types.HostFileSystemVolumeFileSystemTypeVMFS),
			Name:     d.name,
			Capacity: d.capacity,
		},
		BlockSizeMb:  1,
		BlockSize:    1024,
		MaxBlocks:    63 * 1024 * 1024,
		MajorVersion: 6,
		Version:      "6.82",
		Uuid:         d.uuid,
		Extent:       []types.HostScsiDiskPartition{{DiskName: device, Partition: 1}},
		Ssd:          types.NewBool(false),
		Local:        types.NewBool(false),
		ScsiDiskType: "native512",
	}
	if forced {
		v.ForceMountedInfo = &types.HostForceMountedInfo{Persist: true, Mounted: true}
	}
	return v
}

type dsPath struct {
	ds   string
	path string
}

func parseDsPath(s string) (dsPath, bool) {
	if len(s) < 3 || s[0] != '[' {
		return dsPath{}, false
	}
	for i := 1; i < len(s); i++ {
		if s[i] == ']' {
			rest := s[i+1:]
			for len(rest) > 0 && rest[0] == ' ' {
				rest = rest[1:]
			}
			return dsPath{ds: s[1:i], path: rest}, true
		}
	}
	return dsPath{}, false
}
