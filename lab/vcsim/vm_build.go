package main

// Creating the model's VMs and keeping their derived state (Tools, power, free space, custom
// values, DRS rules) right.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// diskGb is the size given to every VM disk, so that datastores show plausible free space.
const diskGb = 40

func (l *Lab) createVMs() error {
	for _, mv := range l.model.Vms {
		attrs := map[string]string{}
		for k, v := range mv.Attributes {
			attrs[k] = v
		}
		r := &vmRecord{
			name:       mv.Name,
			vmxPath:    fmt.Sprintf("[%s] %s/%s.vmx", mv.Datastores[0], mv.Name, mv.Name),
			datastores: append([]string(nil), mv.Datastores...),
			iso:        mv.Iso,
			numCPU:     mv.NumCPU,
			memoryMb:   mv.MemoryMb,
			hasTools:   mv.ToolsRunning,
			snapshot:   mv.Snapshot,
			attributes: attrs,
		}
		l.vms[r.name] = r
		l.vmList = append(l.vmList, r)
		h := l.hosts[mv.Host]
		if err := l.createVM(r, h); err != nil {
			return fmt.Errorf("vm %s: %w", r.name, err)
		}
		if mv.PowerOn {
			l.setPower(r, true)
		}
	}
	return nil
}

// createVM creates a VM and its files (vmx, disks) from its record, on the given host.
func (l *Lab) createVM(r *vmRecord, h *hostState) error {
	for i, name := range r.datastores {
		d, ok := l.datastores[name]
		if !ok {
			return fmt.Errorf("unknown datastore %s", name)
		}
		if i > 0 {
			if err := os.MkdirAll(filepath.Join(d.dir, r.name), 0o700); err != nil {
				return err
			}
		}
	}
	spec := types.VirtualMachineConfigSpec{
		Name:     r.name,
		GuestId:  string(types.VirtualMachineGuestOsIdentifierOtherLinux64Guest),
		NumCPUs:  r.numCPU,
		MemoryMB: int64(r.memoryMb),
		Files:    &types.VirtualMachineFileInfo{VmPathName: r.vmxPath},
	}
	spec.DeviceChange = l.deviceSpecs(r, types.VirtualDeviceConfigSpecFileOperationCreate)
	res := l.vmFolder.CreateVMTask(l.ctx, &types.CreateVM_Task{
		This:   l.vmFolder.Self,
		Config: spec,
		Pool:   h.cluster.pool,
		Host:   &h.obj.Self,
	})
	result, err := taskResult(res.(*methods.CreateVM_TaskBody).Res.Returnval)
	if err != nil {
		return err
	}
	r.ref = result.(types.ManagedObjectReference)
	r.registered = true
	return l.finishVM(r, h)
}

// deviceSpecs lists the devices a VM of the record has beyond the simulator's defaults: one disk
// per datastore, a NIC, and a CD-ROM (ISO-backed when the model says so).
func (l *Lab) deviceSpecs(r *vmRecord, diskOp types.VirtualDeviceConfigSpecFileOperation) []types.BaseVirtualDeviceConfigSpec {
	var specs []types.BaseVirtualDeviceConfigSpec
	add := func(dev types.BaseVirtualDevice, op types.VirtualDeviceConfigSpecFileOperation) {
		specs = append(specs, &types.VirtualDeviceConfigSpec{
			Operation:     types.VirtualDeviceConfigSpecOperationAdd,
			FileOperation: op,
			Device:        dev,
		})
	}
	scsi := &types.ParaVirtualSCSIController{VirtualSCSIController: types.VirtualSCSIController{
		SharedBus: types.VirtualSCSISharingNoSharing,
		VirtualController: types.VirtualController{
			BusNumber:     0,
			VirtualDevice: types.VirtualDevice{Key: 1000},
		},
	}}
	add(scsi, "")
	for i, name := range r.datastores {
		file := fmt.Sprintf("[%s] %s/%s.vmdk", name, r.name, r.name)
		if i > 0 {
			file = fmt.Sprintf("[%s] %s/%s_%d.vmdk", name, r.name, r.name, i)
		}
		unit := int32(i)
		if unit >= 7 {
			unit++ // unit 7 is the controller itself
		}
		add(&types.VirtualDisk{
			VirtualDevice: types.VirtualDevice{
				Key:           2000 + int32(i),
				ControllerKey: 1000,
				UnitNumber:    &unit,
				Backing: &types.VirtualDiskFlatVer2BackingInfo{
					DiskMode:        string(types.VirtualDiskModePersistent),
					ThinProvisioned: types.NewBool(true),
					VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
						FileName: file,
					},
				},
			},
			CapacityInKB: diskGb * 1024 * 1024,
		}, diskOp)
	}
	add(&types.VirtualVmxnet3{VirtualVmxnet: types.VirtualVmxnet{VirtualEthernetCard: types.VirtualEthernetCard{
		VirtualDevice: types.VirtualDevice{
			Key: 4000,
			Backing: &types.VirtualEthernetCardNetworkBackingInfo{
				VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"},
			},
		},
		AddressType: string(types.VirtualEthernetCardMacTypeGenerated),
	}}}, "")
	var backing types.BaseVirtualDeviceBackingInfo = &types.VirtualCdromRemotePassthroughBackingInfo{
		VirtualDeviceRemoteDeviceBackingInfo: types.VirtualDeviceRemoteDeviceBackingInfo{DeviceName: ""},
	}
	if r.iso != "" {
		backing = &types.VirtualCdromIsoBackingInfo{
			VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{FileName: r.iso},
		}
	}
	zero := int32(0)
	add(&types.VirtualCdrom{VirtualDevice: types.VirtualDevice{
		Key:           3000,
		ControllerKey: 200,
		UnitNumber:    &zero,
		Backing:       backing,
		Connectable:   &types.VirtualDeviceConnectInfo{StartConnected: r.iso != "", Connected: r.iso != ""},
	}}, "")
	return specs
}

// finishVM applies what VM creation and registration leave out: the Tools state, the ISO
// datastore in the VM's datastore list, custom values and the snapshot.
func (l *Lab) finishVM(r *vmRecord, h *hostState) error {
	vm := simulator.Map.Get(r.ref).(*simulator.VirtualMachine)
	simulator.Map.WithLock(vm, func() {
		if r.iso != "" {
			if p, ok := parseDsPath(r.iso); ok {
				if d, ok := l.datastores[p.ds]; ok && d.mounts[h] != nil {
					if simulator.FindReference(vm.Datastore, d.obj.Self) == nil {
						vm.Datastore = append(vm.Datastore, d.obj.Self)
					}
				}
			}
		}
		if vm.Config.Tools == nil {
			vm.Config.Tools = &types.ToolsConfigInfo{}
		}
		if r.hasTools {
			vm.Config.Tools.ToolsVersion = 12352
			vm.Config.Tools.ToolsInstallType = "guestToolsTypeOpenVMTools"
		}
		vm.AvailableField = l.availableFields()
		values := l.customValues(r.attributes)
		vm.CustomValue = values
		vm.Value = values
	})
	for _, ref := range vm.Datastore {
		ds := simulator.Map.Get(ref).(*simulator.Datastore)
		simulator.Map.AddReference(ds, &ds.Vm, vm.Self)
	}
	l.applyTools(r, vm)
	if r.snapshot {
		res := vm.CreateSnapshotTask(&types.CreateSnapshot_Task{This: vm.Self, Name: "before-upgrade", Description: "lab snapshot"})
		if _, err := taskResult(res.(*methods.CreateSnapshot_TaskBody).Res.Returnval); err != nil {
			return err
		}
	}
	return nil
}

// applyTools derives the Tools fields from the power state: Tools only run in a powered-on guest.
func (l *Lab) applyTools(r *vmRecord, vm *simulator.VirtualMachine) {
	on := vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
	status := types.VirtualMachineToolsStatusToolsNotRunning
	running := string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
	version := string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)
	guestState := "notRunning"
	if !r.hasTools {
		status = types.VirtualMachineToolsStatusToolsNotInstalled
		version = string(types.VirtualMachineToolsVersionStatusGuestToolsNotInstalled)
	}
	if on {
		guestState = "running"
		if r.hasTools {
			status = types.VirtualMachineToolsStatusToolsOk
			running = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		}
	}
	heartbeat := types.ManagedEntityStatusGray
	if running == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		heartbeat = types.ManagedEntityStatusGreen
	}
	simulator.Map.WithLock(vm, func() {
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "guest.toolsStatus", Val: status},
			{Name: "guest.toolsRunningStatus", Val: running},
			{Name: "guest.toolsVersionStatus2", Val: version},
			{Name: "guest.guestState", Val: guestState},
			{Name: "summary.guest.toolsStatus", Val: status},
			{Name: "summary.guest.toolsRunningStatus", Val: running},
			{Name: "summary.quickStats.guestHeartbeatStatus", Val: heartbeat},
		})
	})
}

// setPower changes a VM's power state at once (model load, control API, end of a power task).
func (l *Lab) setPower(r *vmRecord, on bool) {
	vm := l.liveVM(r)
	if vm == nil {
		return
	}
	state := types.VirtualMachinePowerStatePoweredOff
	var boot *time.Time
	if on {
		state = types.VirtualMachinePowerStatePoweredOn
		now := time.Now()
		boot = &now
	}
	simulator.Map.WithLock(vm, func() {
		changes := []types.PropertyChange{
			{Name: "runtime.powerState", Val: state},
			{Name: "summary.runtime.powerState", Val: state},
		}
		if boot != nil {
			changes = append(changes,
				types.PropertyChange{Name: "runtime.bootTime", Val: *boot},
				types.PropertyChange{Name: "summary.runtime.bootTime", Val: *boot})
		}
		simulator.Map.Update(vm, changes)
		if !on {
			vm.Runtime.BootTime = nil
			vm.Summary.Runtime.BootTime = nil
		}
	})
	l.applyTools(r, vm)
}

func (l *Lab) refreshFreeSpace() {
	// Summed from the VMs' disks rather than tracked incrementally: registration and unregistration
	// would otherwise drift it (the simulator subtracts on create but never adds back). An
	// unregistered VM's files stay on the datastore, so they still count.
	used := map[*dsState]int64{}
	for _, r := range l.vmList {
		for _, name := range r.datastores {
			if d, ok := l.datastores[name]; ok {
				used[d] += diskGb * gib
			}
		}
	}
	for _, d := range l.dsList {
		free := d.capacity - used[d]
		if free < 0 {
			free = 0
		}
		ds := d.obj
		simulator.Map.WithLock(ds, func() {
			ds.Summary.FreeSpace = free
			ds.Info.GetDatastoreInfo().FreeSpace = free
		})
	}
}

func (l *Lab) availableFields() []types.CustomFieldDef {
	cfm := simulator.Map.CustomFieldsManager()
	var out []types.CustomFieldDef
	for _, f := range cfm.Field {
		if f.ManagedObjectType == "" || f.ManagedObjectType == "VirtualMachine" {
			out = append(out, f)
		}
	}
	return out
}

func (l *Lab) customValues(attrs map[string]string) []types.BaseCustomFieldValue {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []types.BaseCustomFieldValue
	for _, name := range names {
		key, ok := l.fields[name]
		if !ok || attrs[name] == "" {
			continue
		}
		out = append(out, &types.CustomFieldStringValue{CustomFieldValue: types.CustomFieldValue{Key: key}, Value: attrs[name]})
	}
	return out
}

func (l *Lab) createAttributes() error {
	cfm := simulator.Map.CustomFieldsManager()
	var names []string
	seen := map[string]bool{}
	for _, v := range l.model.Vms {
		for k := range v.Attributes {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	for _, name := range names {
		res := cfm.AddCustomFieldDef(&types.AddCustomFieldDef{This: cfm.Self, Name: name, MoType: "VirtualMachine"})
		if f := res.Fault(); f != nil {
			return fmt.Errorf("custom field %s: %s", name, f.String)
		}
		def := res.(*methods.AddCustomFieldDefBody).Res.Returnval
		l.fields[name] = def.Key
		l.keyName[def.Key] = name
	}
	// AddCustomFieldDef gave every existing VM the field; now set the values.
	for _, r := range l.vmList {
		vm := l.liveVM(r)
		if vm == nil {
			continue
		}
		values := l.customValues(r.attributes)
		simulator.Map.WithLock(vm, func() {
			vm.CustomValue = values
			vm.Value = values
		})
	}
	return nil
}

func (l *Lab) createRules() error {
	bySite := map[string][]types.ClusterRuleSpec{}
	for _, rule := range l.model.AntiAffinityRules {
		var refs []types.ManagedObjectReference
		for _, name := range rule.Vms {
			r, ok := l.vms[name]
			if !ok || !r.registered {
				return fmt.Errorf("rule %s: unknown vm %s", rule.Name, name)
			}
			refs = append(refs, r.ref)
		}
		bySite[rule.Cluster] = append(bySite[rule.Cluster], types.ClusterRuleSpec{
			ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationAdd},
			Info: &types.ClusterAntiAffinityRuleSpec{
				ClusterRuleInfo: types.ClusterRuleInfo{
					Name:         rule.Name,
					Enabled:      types.NewBool(true),
					Mandatory:    types.NewBool(false),
					UserCreated:  types.NewBool(true),
					InCompliance: types.NewBool(true),
					Status:       types.ManagedEntityStatusGreen,
				},
				Vm: refs,
			},
		})
	}
	for site, specs := range bySite {
		cs, ok := l.clusters[site]
		if !ok {
			return fmt.Errorf("rule for unknown cluster %s", site)
		}
		res := cs.obj.ReconfigureComputeResourceTask(&types.ReconfigureComputeResource_Task{
			This:   cs.obj.Self,
			Spec:   &types.ClusterConfigSpecEx{RulesSpec: specs},
			Modify: true,
		})
		if _, err := taskResult(res.(*methods.ReconfigureComputeResource_TaskBody).Res.Returnval); err != nil {
			return err
		}
	}
	return nil
}

// dropFromRules removes a VM from its cluster's DRS rules, as vCenter does when the VM leaves the
// cluster (unregistered or migrated away); the rule otherwise keeps a dangling moref.
func (l *Lab) dropFromRules(cs *clusterState, ref types.ManagedObjectReference) {
	simulator.Map.WithLock(cs.obj, func() {
		cfg, ok := cs.obj.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !ok {
			return
		}
		for _, rule := range cfg.Rule {
			if aa, ok := rule.(*types.ClusterAntiAffinityRuleSpec); ok {
				simulator.RemoveReference(&aa.Vm, ref)
			}
			if af, ok := rule.(*types.ClusterAffinityRuleSpec); ok {
				simulator.RemoveReference(&af.Vm, ref)
			}
		}
	})
}

// rulesWith names the DRS rules of the cluster that list the VM, so that a VM the lab re-creates
// elsewhere on the same cluster (a storage move by the control API) keeps them, as a storage
// vMotion does.
func (l *Lab) rulesWith(cs *clusterState, ref types.ManagedObjectReference) []string {
	var names []string
	simulator.Map.WithLock(cs.obj, func() {
		cfg, ok := cs.obj.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !ok {
			return
		}
		for _, rule := range cfg.Rule {
			info := rule.GetClusterRuleInfo()
			var vms []types.ManagedObjectReference
			if aa, ok := rule.(*types.ClusterAntiAffinityRuleSpec); ok {
				vms = aa.Vm
			}
			if af, ok := rule.(*types.ClusterAffinityRuleSpec); ok {
				vms = af.Vm
			}
			if simulator.FindReference(vms, ref) != nil {
				names = append(names, info.Name)
			}
		}
	})
	return names
}

// addToRules puts the VM back into the named rules of the cluster.
func (l *Lab) addToRules(cs *clusterState, names []string, ref types.ManagedObjectReference) {
	if len(names) == 0 {
		return
	}
	simulator.Map.WithLock(cs.obj, func() {
		cfg, ok := cs.obj.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !ok {
			return
		}
		for _, rule := range cfg.Rule {
			name := rule.GetClusterRuleInfo().Name
			keep := false
			for _, n := range names {
				keep = keep || n == name
			}
			if !keep {
				continue
			}
			if aa, ok := rule.(*types.ClusterAntiAffinityRuleSpec); ok && simulator.FindReference(aa.Vm, ref) == nil {
				aa.Vm = append(aa.Vm, ref)
			}
			if af, ok := rule.(*types.ClusterAffinityRuleSpec); ok && simulator.FindReference(af.Vm, ref) == nil {
				af.Vm = append(af.Vm, ref)
			}
		}
	})
}
