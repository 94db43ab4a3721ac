package main

import (
	"fmt"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func (l *Lab) sdkHandlers() map[string]sdkHandler {
	return map[string]sdkHandler{
		"VirtualMachine.PowerOnVM_Task":         l.powerOnVM,
		"VirtualMachine.PowerOffVM_Task":        l.powerOffVM,
		"VirtualMachine.ShutdownGuest":          l.shutdownGuest,
		"VirtualMachine.UnregisterVM":           l.unregisterVM,
		"VirtualMachine.RelocateVM_Task":        l.relocateVM,
		"VirtualMachine.MigrateVM_Task":         l.migrateVM,
		"VirtualMachine.setCustomValue":         l.setCustomValue,
		"Folder.RegisterVM_Task":                l.registerVM,
		"Datacenter.PowerOnMultiVM_Task":        l.powerOnMultiVM,
		"CustomFieldsManager.SetField":          l.setField,
		"HostSystem.setCustomValue":             l.setCustomValue,
		"Datastore.setCustomValue":              l.setCustomValue,
		"ClusterComputeResource.setCustomValue": l.setCustomValue,
	}
}

func notFound(ref types.ManagedObjectReference) *labFault {
	return newFault(&types.ManagedObjectNotFound{Obj: ref}, "")
}

// lookupVM finds the registered VM behind a moref. Callers hold l.mu.
func (l *Lab) lookupVM(ref types.ManagedObjectReference) (*vmRecord, *simulator.VirtualMachine, *labFault) {
	r := l.vmByRef(ref)
	if r == nil {
		// A VM the model does not know (created by a client): the lab does not track it.
		return nil, nil, notFound(ref)
	}
	vm := l.liveVM(r)
	if vm == nil {
		return nil, nil, notFound(ref)
	}
	return r, vm, nil
}

// stillThere re-checks, when a task runs, that the VM it was started on is still registered.
func (l *Lab) stillThere(r *vmRecord, ref types.ManagedObjectReference) (*simulator.VirtualMachine, *labFault) {
	if !r.registered || r.ref != ref {
		return nil, notFound(ref)
	}
	vm := l.liveVM(r)
	if vm == nil {
		return nil, notFound(ref)
	}
	return vm, nil
}

func (l *Lab) powerTask(ref types.ManagedObjectReference, on bool) (types.ManagedObjectReference, *labFault) {
	r, vm, fault := l.lookupVM(ref)
	if fault != nil {
		return types.ManagedObjectReference{}, fault
	}
	method, desc, want := "PowerOffVM_Task", "VirtualMachine.powerOff", types.VirtualMachinePowerStatePoweredOff
	if on {
		method, desc, want = "PowerOnVM_Task", "VirtualMachine.powerOn", types.VirtualMachinePowerStatePoweredOn
	}
	return l.startTask(taskSpec{
		entity: vm.Self, entityName: r.name, method: method, descriptionID: desc,
		check: func() *labFault {
			vm, fault := l.stillThere(r, ref)
			if fault != nil {
				return fault
			}
			if vm.Runtime.PowerState == want {
				return newFault(&types.InvalidPowerState{RequestedState: want, ExistingState: vm.Runtime.PowerState}, "")
			}
			if on {
				if name := l.inaccessibleDatastore(vm); name != "" {
					return newFault(&types.InvalidState{}, fmt.Sprintf("The virtual machine cannot be powered on: datastore '%s' is not accessible from its host.", name))
				}
			}
			return nil
		},
		run: func() (types.AnyType, *labFault) {
			vm, fault := l.stillThere(r, ref)
			if fault != nil {
				return nil, fault
			}
			if vm.Runtime.PowerState == want {
				return nil, newFault(&types.InvalidPowerState{RequestedState: want, ExistingState: vm.Runtime.PowerState}, "")
			}
			l.setPower(r, on)
			return nil, nil
		},
	}), nil
}

// inaccessibleDatastore names a disk datastore of the VM that its host cannot reach, if any.
func (l *Lab) inaccessibleDatastore(vm *simulator.VirtualMachine) string {
	h := l.hostByRef[*vm.Runtime.Host]
	r := l.vmByRef(vm.Self)
	if h == nil || r == nil {
		return ""
	}
	for _, name := range r.datastores {
		d := l.datastores[name]
		if d == nil || d.mounts[h] == nil || l.presented[h.site][d.mounts[h].device] == nil {
			return name
		}
	}
	return ""
}

func (l *Lab) powerOnVM(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.PowerOnVM_Task)
	l.mu.Lock()
	defer l.mu.Unlock()
	task, fault := l.powerTask(req.This, true)
	if fault != nil {
		return &methods.PowerOnVM_TaskBody{Fault_: soapFault(fault)}
	}
	return &methods.PowerOnVM_TaskBody{Res: &types.PowerOnVM_TaskResponse{Returnval: task}}
}

func (l *Lab) powerOffVM(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.PowerOffVM_Task)
	l.mu.Lock()
	defer l.mu.Unlock()
	task, fault := l.powerTask(req.This, false)
	if fault != nil {
		return &methods.PowerOffVM_TaskBody{Fault_: soapFault(fault)}
	}
	return &methods.PowerOffVM_TaskBody{Res: &types.PowerOffVM_TaskResponse{Returnval: task}}
}

// shutdownGuest needs running Tools (the simulator powered the VM off at once without them),
// returns at once, and the guest goes down after the ShutdownGuest duration.
func (l *Lab) shutdownGuest(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.ShutdownGuest)
	body := &methods.ShutdownGuestBody{}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, vm, fault := l.lookupVM(req.This)
	if fault != nil {
		body.Fault_ = soapFault(fault)
		return body
	}
	if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		body.Fault_ = soapFault(newFault(&types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: vm.Runtime.PowerState}, ""))
		return body
	}
	if vm.Guest == nil || vm.Guest.ToolsRunningStatus != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		body.Fault_ = soapFault(newFault(&types.ToolsUnavailable{}, ""))
		return body
	}
	if !r.shuttingDown {
		r.shuttingDown = true
		ref := vm.Self
		delay := l.timing.duration("ShutdownGuest")
		go func() {
			time.Sleep(delay)
			l.mu.Lock()
			defer l.mu.Unlock()
			r.shuttingDown = false
			if vm, fault := l.stillThere(r, ref); fault == nil && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
				l.setPower(r, false)
			}
		}()
	}
	body.Res = new(types.ShutdownGuestResponse)
	return body
}

// powerOnMultiVM is Datacenter.PowerOnMultiVM_Task, missing from the simulator: one PowerOnVM_Task
// per VM that can be powered on, the others listed as not attempted.
func (l *Lab) powerOnMultiVM(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.PowerOnMultiVM_Task)
	body := &methods.PowerOnMultiVM_TaskBody{}
	l.mu.Lock()
	defer l.mu.Unlock()
	if req.This != l.dc.Self {
		body.Fault_ = soapFault(notFound(req.This))
		return body
	}
	result := &types.ClusterPowerOnVmResult{}
	task := l.startTask(taskSpec{
		entity: l.dc.Self, entityName: l.dc.Name, method: "PowerOnMultiVM_Task", descriptionID: "Datacenter.powerOnVm",
		check: func() *labFault {
			for _, ref := range req.Vm {
				r, vm, fault := l.lookupVM(ref)
				if fault == nil && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
					fault = newFault(&types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: vm.Runtime.PowerState}, "")
				}
				if fault != nil {
					result.NotAttempted = append(result.NotAttempted, types.ClusterNotAttemptedVmInfo{
						Vm: ref, Fault: types.LocalizedMethodFault{Fault: fault.fault, LocalizedMessage: fault.msg},
					})
					continue
				}
				child, fault := l.powerTask(r.ref, true)
				if fault != nil {
					continue
				}
				result.Attempted = append(result.Attempted, types.ClusterAttemptedVmInfo{Vm: ref, Task: &child})
			}
			return nil
		},
		run: func() (types.AnyType, *labFault) { return result, nil },
	})
	body.Res = &types.PowerOnMultiVM_TaskResponse{Returnval: task}
	return body
}
