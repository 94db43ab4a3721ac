package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func (l *Lab) clusterOfPool(ref types.ManagedObjectReference) *clusterState {
	for _, cs := range l.clusters {
		if cs.pool == ref {
			return cs
		}
	}
	return nil
}

func (l *Lab) canReach(h *hostState, d *dsState) bool {
	m := d.mounts[h]
	return m != nil && l.presented[h.site][m.device] != nil
}

// pickHost chooses, deterministically, the host of the cluster that reaches all datastores and runs
// the fewest VMs (what DRS placement amounts to in the lab).
func (l *Lab) pickHost(cs *clusterState, dss []*dsState) *hostState {
	var best *hostState
	for _, h := range l.hostList {
		if h.cluster != cs {
			continue
		}
		ok := true
		for _, d := range dss {
			if !l.canReach(h, d) {
				ok = false
				break
			}
		}
		if ok && (best == nil || len(h.obj.Vm) < len(best.obj.Vm)) {
			best = h
		}
	}
	return best
}

// relocation is a validated move of a VM to a host (and pool) without storage change.
type relocation struct {
	from, to *hostState
	pool     types.ManagedObjectReference
}

func (l *Lab) planMove(r *vmRecord, vm *simulator.VirtualMachine, hostRef, poolRef, dsRef *types.ManagedObjectReference) (*relocation, *labFault) {
	cur := l.hostByRef[*vm.Runtime.Host]
	if cur == nil {
		return nil, notFound(*vm.Runtime.Host)
	}
	var cs *clusterState
	if poolRef != nil {
		cs = l.clusterOfPool(*poolRef)
		if cs == nil {
			return nil, newFault(&types.InvalidArgument{InvalidProperty: "spec.pool"}, "")
		}
	}
	if dsRef != nil {
		p, _ := parseDsPath(r.vmxPath)
		if d := l.dsByRef[*dsRef]; d == nil || d.name != p.ds {
			return nil, newFault(&types.NotSupported{}, "The lab does not simulate storage vMotion: spec.datastore must be the VM's current datastore.")
		}
	}
	var vmDss []*dsState
	for _, ref := range vm.Datastore {
		if d := l.dsByRef[ref]; d != nil {
			vmDss = append(vmDss, d)
		}
	}
	var to *hostState
	if hostRef != nil {
		to = l.hostByRef[*hostRef]
		if to == nil {
			return nil, notFound(*hostRef)
		}
	} else if cs != nil && cs != cur.cluster {
		to = l.pickHost(cs, vmDss)
		if to == nil {
			return nil, newFault(&types.InvalidArgument{InvalidProperty: "spec.pool"}, fmt.Sprintf("No host of cluster %s can reach the datastores of %s.", cs.site, r.name))
		}
	} else {
		to = cur
	}
	if cs == nil && to.cluster != cur.cluster {
		return nil, newFault(&types.InvalidArgument{InvalidProperty: "spec.pool"},
			fmt.Sprintf("A specified parameter was not correct: spec.pool (host %s is in cluster %s: give that cluster's resource pool)", to.name, to.cluster.site))
	}
	if cs != nil && to.cluster != cs {
		return nil, newFault(&types.InvalidArgument{InvalidProperty: "spec.host"},
			fmt.Sprintf("A specified parameter was not correct: spec.host (%s is not in cluster %s)", to.name, cs.site))
	}
	for _, d := range vmDss {
		if !l.canReach(to, d) {
			return nil, newFault(&types.DatastoreNotWritableOnHost{
				InvalidDatastore: types.InvalidDatastore{Datastore: &d.obj.Self, Name: d.name},
				Host:             to.obj.Self,
			}, fmt.Sprintf("The datastore '%s' of virtual machine %s is not accessible from host %s.", d.name, r.name, to.name))
		}
	}
	return &relocation{from: cur, to: to, pool: to.cluster.pool}, nil
}

// moveVM moves a registered VM to another host (and that host's cluster pool), keeping both hosts'
// and both pools' vm lists right, which the simulator's RelocateVM_Task did not.
func (l *Lab) moveVM(vm *simulator.VirtualMachine, mv *relocation) {
	ref := vm.Self
	if mv.from != mv.to {
		simulator.Map.RemoveReference(mv.from.obj, &mv.from.obj.Vm, ref)
		simulator.Map.AddReference(mv.to.obj, &mv.to.obj.Vm, ref)
	}
	if vm.ResourcePool != nil && *vm.ResourcePool != mv.pool {
		if old, ok := simulator.Map.Get(*vm.ResourcePool).(*simulator.ResourcePool); ok {
			simulator.Map.RemoveReference(old, &old.Vm, ref)
		}
		if rp, ok := simulator.Map.Get(mv.pool).(*simulator.ResourcePool); ok {
			simulator.Map.AddReference(rp, &rp.Vm, ref)
		}
	}
	if mv.from.cluster != mv.to.cluster {
		l.dropFromRules(mv.from.cluster, ref)
	}
	host := mv.to.obj.Self
	pool := mv.pool
	simulator.Map.WithLock(vm, func() {
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "runtime.host", Val: host},
			{Name: "summary.runtime.host", Val: host},
			{Name: "resourcePool", Val: pool},
		})
		if eb := mv.to.cluster.obj.EnvironmentBrowser; eb != nil {
			vm.EnvironmentBrowser = *eb
		}
	})
}

func (l *Lab) relocateLike(this types.ManagedObjectReference, method, desc string, hostRef, poolRef, dsRef *types.ManagedObjectReference, state types.VirtualMachinePowerState) (types.ManagedObjectReference, *labFault) {
	r, vm, fault := l.lookupVM(this)
	if fault != nil {
		return types.ManagedObjectReference{}, fault
	}
	if hostRef != nil && l.hostByRef[*hostRef] == nil {
		return types.ManagedObjectReference{}, notFound(*hostRef)
	}
	ref := vm.Self
	plan := func() (*simulator.VirtualMachine, *relocation, *labFault) {
		vm, fault := l.stillThere(r, ref)
		if fault != nil {
			return nil, nil, fault
		}
		if state != "" && vm.Runtime.PowerState != state {
			return nil, nil, newFault(&types.InvalidPowerState{RequestedState: state, ExistingState: vm.Runtime.PowerState}, "")
		}
		mv, fault := l.planMove(r, vm, hostRef, poolRef, dsRef)
		return vm, mv, fault
	}
	return l.startTask(taskSpec{
		entity: ref, entityName: r.name, method: method, descriptionID: desc,
		check: func() *labFault {
			_, _, fault := plan()
			return fault
		},
		run: func() (types.AnyType, *labFault) {
			vm, mv, fault := plan()
			if fault != nil {
				return nil, fault
			}
			l.moveVM(vm, mv)
			return nil, nil
		},
	}), nil
}

func (l *Lab) relocateVM(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.RelocateVM_Task)
	l.mu.Lock()
	defer l.mu.Unlock()
	task, fault := l.relocateLike(req.This, "RelocateVM_Task", "VirtualMachine.relocate", req.Spec.Host, req.Spec.Pool, req.Spec.Datastore, "")
	if fault != nil {
		return &methods.RelocateVM_TaskBody{Fault_: soapFault(fault)}
	}
	return &methods.RelocateVM_TaskBody{Res: &types.RelocateVM_TaskResponse{Returnval: task}}
}

func (l *Lab) migrateVM(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.MigrateVM_Task)
	l.mu.Lock()
	defer l.mu.Unlock()
	task, fault := l.relocateLike(req.This, "MigrateVM_Task", "VirtualMachine.migrate", req.Host, req.Pool, nil, req.State)
	if fault != nil {
		return &methods.MigrateVM_TaskBody{Fault_: soapFault(fault)}
	}
	return &methods.MigrateVM_TaskBody{Res: &types.MigrateVM_TaskResponse{Returnval: task}}
}
