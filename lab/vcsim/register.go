package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// captureRecord reads back what a re-registration must restore: a real vCenter finds it in the
// .vmx, the simulator forgets it.
func (l *Lab) captureRecord(r *vmRecord, vm *simulator.VirtualMachine) {
	r.numCPU = vm.Config.Hardware.NumCPU
	r.memoryMb = vm.Config.Hardware.MemoryMB
	r.snapshot = vm.Snapshot != nil
	attrs := map[string]string{}
	for k := range r.attributes {
		attrs[k] = ""
	}
	for _, v := range vm.CustomValue {
		if s, ok := v.(*types.CustomFieldStringValue); ok {
			if name, ok := l.keyName[s.Key]; ok {
				attrs[name] = s.Value
			}
		}
	}
	r.attributes = attrs
}

func (l *Lab) unregisterVM(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.UnregisterVM)
	body := &methods.UnregisterVMBody{}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, vm, fault := l.lookupVM(req.This)
	if fault != nil {
		body.Fault_ = soapFault(fault)
		return body
	}
	// vCenter lets a VM whose host is lost (disconnected) be removed from the inventory whatever
	// power state it last reported: that is how a failover clears the lost room's entries.
	lost := vm.Runtime.ConnectionState == types.VirtualMachineConnectionStateDisconnected
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff && !lost {
		body.Fault_ = soapFault(newFault(&types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: vm.Runtime.PowerState}, ""))
		return body
	}
	if lost {
		// The simulator's own UnregisterVM checks the power state: the lost entry's last one is moot.
		simulator.Map.WithLock(vm, func() {
			vm.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOff
			vm.Summary.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOff
		})
	}
	if fault := l.unregister(r, vm); fault != nil {
		body.Fault_ = soapFault(fault)
		return body
	}
	body.Res = new(types.UnregisterVMResponse)
	return body
}

func (l *Lab) unregister(r *vmRecord, vm *simulator.VirtualMachine) *labFault {
	l.captureRecord(r, vm)
	if h := l.hostByRef[*vm.Runtime.Host]; h != nil {
		l.dropFromRules(h.cluster, vm.Self)
	}
	var res soap.HasFault
	simulator.Map.WithLock(vm, func() {
		res = vm.UnregisterVM(l.ctx, &types.UnregisterVM{This: vm.Self})
	})
	if f := res.Fault(); f != nil {
		return newFault(f.VimFault().(types.BaseMethodFault), f.String)
	}
	r.registered = false
	r.ref = types.ManagedObjectReference{}
	return nil
}

// recordForPath finds the unregistered VM whose .vmx is at path, also through a resignatured copy
// of its datastore (same files, new name).
func (l *Lab) recordForPath(path string) (*vmRecord, *dsState) {
	p, ok := parseDsPath(path)
	if !ok {
		return nil, nil
	}
	d := l.datastores[p.ds]
	for _, r := range l.vmList {
		if r.vmxPath == path {
			return r, d
		}
	}
	if d != nil && d.origin != nil {
		orig := fmt.Sprintf("[%s] %s", d.origin.name, p.path)
		for _, r := range l.vmList {
			if r.vmxPath == orig {
				return r, d
			}
		}
	}
	return nil, d
}

func (l *Lab) registerVM(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.RegisterVM_Task)
	body := &methods.RegisterVM_TaskBody{}
	l.mu.Lock()
	defer l.mu.Unlock()
	if req.This != l.vmFolder.Self {
		if simulator.Map.Get(req.This) == nil {
			body.Fault_ = soapFault(notFound(req.This))
		} else {
			body.Fault_ = soapFault(newFault(&types.NotSupported{}, "Register VMs into the datacenter's vmFolder."))
		}
		return body
	}
	if req.AsTemplate {
		body.Fault_ = soapFault(newFault(&types.NotSupported{}, "The lab does not register templates."))
		return body
	}
	if req.Pool == nil {
		body.Fault_ = soapFault(newFault(&types.InvalidArgument{InvalidProperty: "pool"}, ""))
		return body
	}
	cs := l.clusterOfPool(*req.Pool)
	if cs == nil {
		body.Fault_ = soapFault(notFound(*req.Pool))
		return body
	}
	var host *hostState
	if req.Host != nil {
		host = l.hostByRef[*req.Host]
		if host == nil {
			body.Fault_ = soapFault(notFound(*req.Host))
			return body
		}
	}
	path := req.Path
	var target *hostState
	var rec *vmRecord
	check := func() *labFault {
		p, ok := parseDsPath(path)
		if !ok || p.path == "" {
			return newFault(&types.InvalidDatastorePath{DatastorePath: path}, "")
		}
		var d *dsState
		rec, d = l.recordForPath(path)
		if d == nil {
			return newFault(&types.NotFound{}, fmt.Sprintf("File %s was not found (no datastore named %s).", path, p.ds))
		}
		for _, r := range l.vmList {
			if r.registered && (r.vmxPath == path || (rec == r)) {
				return newFault(&types.AlreadyExists{Name: path}, "")
			}
		}
		if host != nil && host.cluster != cs {
			return newFault(&types.InvalidArgument{InvalidProperty: "host"}, fmt.Sprintf("A specified parameter was not correct: host (%s is not in the cluster of the resource pool)", host.name))
		}
		target = host
		if target == nil {
			target = l.pickHost(cs, []*dsState{d})
		}
		if target == nil || !l.canReach(target, d) {
			return newFault(&types.NotFound{}, fmt.Sprintf("File %s was not found: datastore %s is not accessible from the target host.", path, d.name))
		}
		if _, err := os.Stat(filepath.Join(d.dir, p.path)); err != nil {
			return newFault(&types.NotFound{}, fmt.Sprintf("File %s was not found.", path))
		}
		return nil
	}
	task := l.startTask(taskSpec{
		entity: l.vmFolder.Self, entityName: l.vmFolder.Name, method: "RegisterVM_Task", descriptionID: "Folder.registerVm",
		check: check,
		run: func() (types.AnyType, *labFault) {
			if fault := check(); fault != nil {
				return nil, fault
			}
			ref, fault := l.register(path, rec, target)
			if fault != nil {
				return nil, fault
			}
			return ref, nil
		},
	})
	body.Res = &types.RegisterVM_TaskResponse{Returnval: task}
	return body
}

// register adds the VM at path to the inventory on host h with its recorded hardware, Tools state,
// attributes and snapshot.
func (l *Lab) register(path string, r *vmRecord, h *hostState) (types.ManagedObjectReference, *labFault) {
	name := ""
	if r != nil {
		name = r.name
		if r.vmxPath != path {
			// Registered from a resignatured copy: the VM's files now live on that datastore.
			p, _ := parseDsPath(path)
			if d := l.datastores[p.ds]; d != nil && d.origin != nil {
				for i, ds := range r.datastores {
					if ds == d.origin.name {
						r.datastores[i] = d.name
					}
				}
			}
			r.vmxPath = path
		}
	}
	res := l.vmFolder.RegisterVMTask(l.ctx, &types.RegisterVM_Task{
		This: l.vmFolder.Self, Path: path, Name: name, Pool: &h.cluster.pool, Host: &h.obj.Self,
	})
	result, err := taskResult(res.(*methods.RegisterVM_TaskBody).Res.Returnval)
	if err != nil {
		return types.ManagedObjectReference{}, newFault(&types.NotFound{}, err.Error())
	}
	ref := result.(types.ManagedObjectReference)
	if r == nil {
		return ref, nil
	}
	vm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	rec := vm.ReconfigVMTask(l.ctx, &types.ReconfigVM_Task{This: ref, Spec: types.VirtualMachineConfigSpec{
		NumCPUs:      r.numCPU,
		MemoryMB:     int64(r.memoryMb),
		GuestId:      string(types.VirtualMachineGuestOsIdentifierOtherLinux64Guest),
		DeviceChange: l.deviceSpecs(r, ""),
	}})
	if _, err := taskResult(rec.(*methods.ReconfigVM_TaskBody).Res.Returnval); err != nil {
		return types.ManagedObjectReference{}, newFault(&types.InvalidVmConfig{}, err.Error())
	}
	r.ref = ref
	r.registered = true
	if err := l.finishVM(r, h); err != nil {
		return types.ManagedObjectReference{}, newFault(&types.SystemError{Reason: err.Error()}, "")
	}
	l.refreshFreeSpace()
	return ref, nil
}
