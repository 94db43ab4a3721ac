package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// LabStorageSystem replaces the simulator's HostStorageSystem of each host (same moref), adding the
// VMFS mount and unresolved-volume methods it lacks.
//
// The simulator holds an object's lock (here: view) while one of its methods runs, and the property
// collector takes it while reading the object. The lab's methods release it on entry and take
// Lab.mu instead; syncStorage takes view (under Lab.mu) only to swap in a rebuilt view. Holding
// view across a method would invert that order and deadlock.
type LabStorageSystem struct {
	simulator.HostStorageSystem
	view
	lab  *Lab
	host *hostState
}

// LabDatastoreSystem replaces the simulator's HostDatastoreSystem, for the same reasons.
type LabDatastoreSystem struct {
	simulator.HostDatastoreSystem
	view
	lab  *Lab
	host *hostState
}

// view is the object lock the simulator finds through sync.Locker.
type view struct{ mu sync.Mutex }

func (v *view) Lock()   { v.mu.Lock() }
func (v *view) Unlock() { v.mu.Unlock() }

// enter releases the dispatch lock for the duration of a lab method; the returned func retakes it.
func (v *view) enter() func() {
	v.mu.Unlock()
	return v.mu.Lock
}

// RescanAllHba is deterministic (the simulator toggled the adapter list on each call) and is what
// makes a LUN presented through the control API visible to this host.
func (s *LabStorageSystem) RescanAllHba(_ *simulator.Context, _ *types.RescanAllHba) soap.HasFault {
	defer s.enter()()
	s.lab.sleepFor("RescanAllHba")
	s.lab.mu.Lock()
	defer s.lab.mu.Unlock()
	s.lab.rescan(s.host)
	return &methods.RescanAllHbaBody{Res: new(types.RescanAllHbaResponse)}
}

func (s *LabStorageSystem) RescanHba(_ *simulator.Context, _ *types.RescanHba) soap.HasFault {
	defer s.enter()()
	s.lab.mu.Lock()
	defer s.lab.mu.Unlock()
	s.lab.rescan(s.host)
	return &methods.RescanHbaBody{Res: new(types.RescanHbaResponse)}
}

func (s *LabStorageSystem) UnmountVmfsVolume(_ *simulator.Context, req *types.UnmountVmfsVolume) soap.HasFault {
	defer s.enter()()
	s.lab.mu.Lock()
	defer s.lab.mu.Unlock()
	body := &methods.UnmountVmfsVolumeBody{}
	if fault := s.lab.unmount(s.host, req.VmfsUuid); fault != nil {
		body.Fault_ = soapFault(fault)
		return body
	}
	body.Res = new(types.UnmountVmfsVolumeResponse)
	return body
}

func (s *LabStorageSystem) MountVmfsVolume(_ *simulator.Context, req *types.MountVmfsVolume) soap.HasFault {
	defer s.enter()()
	s.lab.mu.Lock()
	defer s.lab.mu.Unlock()
	body := &methods.MountVmfsVolumeBody{}
	if fault := s.lab.mountVolume(s.host, req.VmfsUuid); fault != nil {
		body.Fault_ = soapFault(fault)
		return body
	}
	body.Res = new(types.MountVmfsVolumeResponse)
	return body
}

func (s *LabStorageSystem) QueryUnresolvedVmfsVolume(_ *simulator.Context, _ *types.QueryUnresolvedVmfsVolume) soap.HasFault {
	defer s.enter()()
	s.lab.mu.Lock()
	defer s.lab.mu.Unlock()
	return &methods.QueryUnresolvedVmfsVolumeBody{Res: &types.QueryUnresolvedVmfsVolumeResponse{
		Returnval: s.lab.unresolvedVolumes(s.host),
	}}
}

func (s *LabStorageSystem) ResolveMultipleUnresolvedVmfsVolumes(_ *simulator.Context, req *types.ResolveMultipleUnresolvedVmfsVolumes) soap.HasFault {
	defer s.enter()()
	s.lab.sleepFor("ResolveMultipleUnresolvedVmfsVolumes")
	s.lab.mu.Lock()
	defer s.lab.mu.Unlock()
	var results []types.HostUnresolvedVmfsResolutionResult
	for _, spec := range req.ResolutionSpec {
		vol, fault := s.lab.resolve(s.host, spec.ExtentDevicePath, spec.UuidResolution)
		res := types.HostUnresolvedVmfsResolutionResult{Spec: spec, Vmfs: vol}
		if fault != nil {
			res.Fault = &types.LocalizedMethodFault{Fault: fault.fault, LocalizedMessage: fault.msg}
		}
		results = append(results, res)
	}
	return &methods.ResolveMultipleUnresolvedVmfsVolumesBody{Res: &types.ResolveMultipleUnresolvedVmfsVolumesResponse{Returnval: results}}
}

func (s *LabDatastoreSystem) QueryUnresolvedVmfsVolumes(_ *simulator.Context, _ *types.QueryUnresolvedVmfsVolumes) soap.HasFault {
	defer s.enter()()
	s.lab.mu.Lock()
	defer s.lab.mu.Unlock()
	return &methods.QueryUnresolvedVmfsVolumesBody{Res: &types.QueryUnresolvedVmfsVolumesResponse{
		Returnval: s.lab.unresolvedVolumes(s.host),
	}}
}

// ResignatureUnresolvedVmfsVolume_Task is the task form of a resignature resolution.
func (s *LabDatastoreSystem) ResignatureUnresolvedVmfsVolumeTask(_ *simulator.Context, req *types.ResignatureUnresolvedVmfsVolume_Task) soap.HasFault {
	defer s.enter()()
	l := s.lab
	h := s.host
	task := l.startTask(taskSpec{
		entity: s.Self, entityName: h.name, method: "ResignatureUnresolvedVmfsVolume_Task",
		descriptionID: "host.DatastoreSystem.resignatureUnresolvedVmfsVolume",
		run: func() (types.AnyType, *labFault) {
			if _, fault := l.resolve(h, req.ResolutionSpec.ExtentDevicePath, string(types.HostUnresolvedVmfsResolutionSpecVmfsUuidResolutionResignature)); fault != nil {
				return nil, fault
			}
			dev := parseDevicePath(firstOr(req.ResolutionSpec.ExtentDevicePath, ""))
			snap := l.resignatured[dev]
			res := &types.HostResignatureRescanResult{Result: snap.obj.Self}
			for _, other := range l.hostList {
				if snap.mounts[other] != nil {
					res.Rescan = append(res.Rescan, types.HostVmfsRescanResult{Host: other.obj.Self})
				}
			}
			return res, nil
		},
	})
	return &methods.ResignatureUnresolvedVmfsVolume_TaskBody{Res: &types.ResignatureUnresolvedVmfsVolume_TaskResponse{Returnval: task}}
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}

// parseDevicePath accepts "/vmfs/devices/disks/naa.x:1", "naa.x:1" or "naa.x".
func parseDevicePath(p string) string {
	p = strings.TrimPrefix(p, "/vmfs/devices/disks/")
	if i := strings.LastIndex(p, ":"); i > 0 {
		p = p[:i]
	}
	return p
}

func devicePath(dev string) string { return "/vmfs/devices/disks/" + dev + ":1" }

func (l *Lab) sleepFor(method string) {
	if d := l.timing.duration(method); d > 0 {
		time.Sleep(d)
	}
}

func (l *Lab) rescan(h *hostState) {
	h.scanned = map[string]bool{}
	for dev := range l.presented[h.site] {
		h.scanned[dev] = true
	}
	// A resignatured copy is an ordinary VMFS for every other host: it mounts on rescan.
	for dev, snap := range l.resignatured {
		if h.scanned[dev] && snap.mounts[h] == nil {
			snap.mounts[h] = &mount{device: dev}
		}
	}
	l.syncStorage()
}

type unresolved struct {
	ds     *dsState
	device string
}

func (l *Lab) unresolvedOn(h *hostState) []unresolved {
	var out []unresolved
	for _, dev := range sortedKeys(h.scanned) {
		owner := l.presented[h.site][dev]
		if owner == nil || l.resignatured[dev] != nil || owner.mounts[h] != nil {
			continue
		}
		out = append(out, unresolved{ds: owner, device: dev})
	}
	return out
}

func (l *Lab) unresolvedVolumes(h *hostState) []types.HostUnresolvedVmfsVolume {
	var out []types.HostUnresolvedVmfsVolume
	for _, u := range l.unresolvedOn(h) {
		blocks := int32(u.ds.capacity / (1024 * 1024))
		out = append(out, types.HostUnresolvedVmfsVolume{
			Extent: []types.HostUnresolvedVmfsExtent{{
				Device:       types.HostScsiDiskPartition{DiskName: u.device, Partition: 1},
				DevicePath:   devicePath(u.device),
				VmfsUuid:     u.ds.uuid,
				IsHeadExtent: true,
				Ordinal:      0,
				StartBlock:   0,
				EndBlock:     blocks - 1,
				Reason:       "diskIdMismatch",
			}},
			VmfsLabel:     u.ds.name,
			VmfsUuid:      u.ds.uuid,
			TotalBlocks:   blocks,
			ResolveStatus: types.HostUnresolvedVmfsVolumeResolveStatus{Resolvable: true, IncompleteExtents: types.NewBool(false), MultipleCopies: types.NewBool(false)},
		})
	}
	return out
}

func (l *Lab) dsByUUID(uuid string) *dsState {
	for _, d := range l.dsList {
		if d.uuid == uuid {
			return d
		}
	}
	return nil
}

func (l *Lab) unmount(h *hostState, uuid string) *labFault {
	d := l.dsByUUID(uuid)
	if d == nil || d.mounts[h] == nil {
		return newFault(&types.NotFound{}, fmt.Sprintf("The VMFS volume %s is not mounted on host %s.", uuid, h.name))
	}
	for _, r := range l.vmList {
		vm := l.liveVM(r)
		if vm == nil || vm.Runtime.Host == nil || *vm.Runtime.Host != h.obj.Self {
			continue
		}
		if simulator.FindReference(vm.Datastore, d.obj.Self) != nil {
			return newFault(&types.ResourceInUse{Type: "Datastore", Name: d.name},
				fmt.Sprintf("The resource '%s' is in use: virtual machine %s is registered on host %s with files on it.", d.name, r.name, h.name))
		}
	}
	delete(d.mounts, h)
	l.syncStorage()
	return nil
}

func (l *Lab) mountVolume(h *hostState, uuid string) *labFault {
	d := l.dsByUUID(uuid)
	if d == nil {
		return newFault(&types.NotFound{}, fmt.Sprintf("No VMFS volume with UUID %s is known.", uuid))
	}
	if d.mounts[h] != nil {
		return newFault(&types.HostConfigFault{}, fmt.Sprintf("The VMFS volume %s is already mounted on host %s.", uuid, h.name))
	}
	// Only the device that carries the volume's own signature mounts this way; a replica shows as
	// an unresolved copy and needs ResolveMultipleUnresolvedVmfsVolumes.
	if !h.scanned[d.lun] || l.presented[h.site][d.lun] == nil {
		return newFault(&types.NotFound{}, fmt.Sprintf("The VMFS volume %s is not visible on host %s (rescan the HBAs, or resolve it as an unresolved copy).", uuid, h.name))
	}
	d.mounts[h] = &mount{device: d.lun}
	l.syncStorage()
	return nil
}

func (l *Lab) resolve(h *hostState, paths []string, how string) (*types.HostVmfsVolume, *labFault) {
	if len(paths) == 0 {
		return nil, newFault(&types.InvalidArgument{InvalidProperty: "extentDevicePath"}, "A specified parameter was not correct: extentDevicePath")
	}
	dev := parseDevicePath(paths[0])
	var found *unresolved
	for _, u := range l.unresolvedOn(h) {
		if u.device == dev {
			u := u
			found = &u
			break
		}
	}
	if found == nil {
		return nil, newFault(&types.NotFound{}, fmt.Sprintf("No unresolved VMFS volume on device %s of host %s.", dev, h.name))
	}
	switch how {
	case string(types.HostUnresolvedVmfsResolutionSpecVmfsUuidResolutionForceMount):
		found.ds.mounts[h] = &mount{device: dev, forced: true}
		l.syncStorage()
		return vmfsVolume(found.ds, dev, true), nil
	case string(types.HostUnresolvedVmfsResolutionSpecVmfsUuidResolutionResignature):
		snap := l.resignatured[dev]
		if snap == nil {
			snap = l.newSnapDatastore(found.ds, dev, h.site)
		}
		// vCenter rescans the other hosts after a resignature; they mount the copy at once.
		for _, other := range l.hostList {
			if other.scanned[dev] && l.presented[other.site][dev] != nil {
				snap.mounts[other] = &mount{device: dev}
			}
		}
		l.syncStorage()
		l.refreshFreeSpace()
		return vmfsVolume(snap, dev, false), nil
	default:
		return nil, newFault(&types.InvalidArgument{InvalidProperty: "uuidResolution"}, "A specified parameter was not correct: uuidResolution")
	}
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// newSnapDatastore creates the resignatured copy of d living on dev. It shares d's directory: the
// LUN is a replica, so the files are the same.
func (l *Lab) newSnapDatastore(d *dsState, dev, site string) *dsState {
	snap := &dsState{
		name:     fmt.Sprintf("snap-%s-%s", randomHex(8), d.name),
		site:     site,
		method:   d.method,
		uuid:     fmt.Sprintf("%s-%s-%s-%s", randomHex(8), randomHex(8), randomHex(4), randomHex(12)),
		lun:      dev,
		capacity: d.capacity,
		dir:      d.dir,
		mounts:   map[*hostState]*mount{},
		origin:   d,
	}
	l.newDatastoreObject(snap)
	l.resignatured[dev] = snap
	return snap
}

func (l *Lab) present(name, site string) error {
	d, ok := l.datastores[name]
	if !ok || d.origin != nil {
		return fmt.Errorf("unknown datastore %q", name)
	}
	if _, ok := l.presented[site]; !ok {
		return fmt.Errorf("unknown site %q", site)
	}
	l.presented[site][d.deviceFor(site)] = d
	l.syncStorage()
	return nil
}

func (l *Lab) unpresent(name, site string) error {
	d, ok := l.datastores[name]
	if !ok || d.origin != nil {
		return fmt.Errorf("unknown datastore %q", name)
	}
	if _, ok := l.presented[site]; !ok {
		return fmt.Errorf("unknown site %q", site)
	}
	delete(l.presented[site], d.deviceFor(site))
	l.syncStorage()
	return nil
}

var volumeTypes = []string{"VMFS", "NFS", "NFS41", "CIFS", "vsan", "VFFS", "VVOL", "PMEM", "vsanD", "OTHER"}

// syncStorage rebuilds every host's storage view, every datastore's mounts and every cluster's
// datastore list from the lab state. Whole rebuilds keep the views consistent with each other.
func (l *Lab) syncStorage() {
	for _, h := range l.hostList {
		var infos []types.HostFileSystemMountInfo
		var refs []types.ManagedObjectReference
		devices := map[string]bool{}
		for dev := range h.scanned {
			if l.presented[h.site][dev] != nil {
				devices[dev] = true
			}
		}
		for _, d := range l.dsList {
			m := d.mounts[h]
			if m == nil {
				continue
			}
			acc := l.presented[h.site][m.device] != nil
			devices[m.device] = true
			info := types.HostFileSystemMountInfo{
				MountInfo: types.HostMountInfo{
					Path:       "/vmfs/volumes/" + d.uuid,
					AccessMode: string(types.HostMountModeReadWrite),
					Mounted:    types.NewBool(true),
					Accessible: types.NewBool(acc),
				},
				Volume:          vmfsVolume(d, m.device, m.forced),
				VStorageSupport: "vStorageSupported",
			}
			if !acc {
				info.MountInfo.InaccessibleReason = "AllPathsDown_Start"
			}
			infos = append(infos, info)
			refs = append(refs, d.obj.Self)
		}
		var luns []types.BaseScsiLun
		for _, dev := range sortedKeys(devices) {
			luns = append(luns, l.scsiDisk(h, dev))
		}
		fs := &types.HostFileSystemVolumeInfo{VolumeTypeList: volumeTypes, MountInfo: infos}
		sdi := &types.HostStorageDeviceInfo{HostBusAdapter: h.storage.StorageDeviceInfo.HostBusAdapter, ScsiLun: luns}
		h.storage.view.Lock()
		h.storage.FileSystemVolumeInfo = *fs
		h.storage.StorageDeviceInfo = sdi
		h.storage.view.Unlock()
		h.dss.view.Lock()
		h.dss.Datastore = append([]types.ManagedObjectReference(nil), refs...)
		h.dss.view.Unlock()
		host := h.obj
		simulator.Map.WithLock(host, func() {
			host.Datastore = refs
			host.Config.FileSystemVolume = fs
			host.Config.StorageDevice = sdi
		})
	}
	for _, d := range l.dsList {
		var mounts []types.DatastoreHostMount
		anyAcc := false
		for _, h := range l.sortedHosts(d.mounts) {
			acc := l.presented[h.site][d.mounts[h].device] != nil
			anyAcc = anyAcc || acc
			mounts = append(mounts, types.DatastoreHostMount{
				Key: h.obj.Self,
				MountInfo: types.HostMountInfo{
					Path:       "/vmfs/volumes/" + d.uuid,
					AccessMode: string(types.HostMountModeReadWrite),
					Mounted:    types.NewBool(true),
					Accessible: types.NewBool(acc),
				},
			})
		}
		ds := d.obj
		simulator.Map.WithLock(ds, func() {
			ds.Host = mounts
			ds.Summary.Accessible = anyAcc
			ds.Summary.MultipleHostAccess = types.NewBool(len(mounts) > 1)
			if info, ok := ds.Info.(*types.VmfsDatastoreInfo); ok {
				info.Vmfs = vmfsVolume(d, d.lun, false)
			}
		})
	}
	for _, site := range l.model.Sites {
		cs := l.clusters[site]
		var refs []types.ManagedObjectReference
		for _, d := range l.dsList {
			for h := range d.mounts {
				if h.cluster == cs {
					refs = append(refs, d.obj.Self)
					break
				}
			}
		}
		simulator.Map.WithLock(cs.obj, func() { cs.obj.Datastore = refs })
	}
}

func (l *Lab) scsiDisk(h *hostState, dev string) *types.HostScsiDisk {
	owner := l.presented[h.site][dev]
	var capacity int64 = 4096 * gib
	vendor, model := "IBM     ", "2145            "
	for _, d := range l.dsList {
		if d.lun == dev || d.replica == dev {
			capacity = d.capacity
			if d.method == "live-volume" {
				vendor, model = "COMPELNT", "Compellent Vol  "
			}
			break
		}
	}
	state := []string{string(types.ScsiLunStateOk)}
	if owner == nil {
		state = []string{string(types.ScsiLunStateLostCommunication)}
	}
	id := strings.TrimPrefix(dev, "naa.")
	uuid := "0200000000" + id + hex.EncodeToString([]byte(strings.TrimSpace(model)))
	return &types.HostScsiDisk{
		ScsiLun: types.ScsiLun{
			HostDevice:       types.HostDevice{DeviceName: "/vmfs/devices/disks/" + dev, DeviceType: "disk"},
			Key:              "key-vim.host.ScsiDisk-" + uuid,
			Uuid:             uuid,
			CanonicalName:    dev,
			DisplayName:      fmt.Sprintf("%s Fibre Channel Disk (%s)", strings.TrimSpace(vendor), dev),
			LunType:          "disk",
			Vendor:           vendor,
			Model:            model,
			Revision:         "0000",
			ScsiLevel:        6,
			QueueDepth:       64,
			OperationalState: state,
			VStorageSupport:  "vStorageSupported",
		},
		Capacity:   types.HostDiskDimensionsLba{BlockSize: 512, Block: capacity / 512},
		DevicePath: "/vmfs/devices/disks/" + dev,
		Ssd:        types.NewBool(false),
		LocalDisk:  types.NewBool(false),
	}
}
