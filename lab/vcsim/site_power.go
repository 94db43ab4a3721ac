package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// A server room losing power, as the one vCenter that serves both rooms sees it: the room's hosts
// stop answering (notResponding) and the VMs registered on them are no longer connected. Power
// states are left as they were, as vCenter keeps the last one it knew. Used by failover tests to
// check the fencing guard against a room that is really dark.

type sitePowerReq struct {
	Site string `json:"site"`
	Up   bool   `json:"up"`
}

func (l *Lab) setSitePower(site string, up bool) (interface{}, error) {
	hostState := types.HostSystemConnectionStateNotResponding
	vmState := types.VirtualMachineConnectionStateDisconnected
	if up {
		hostState = types.HostSystemConnectionStateConnected
		vmState = types.VirtualMachineConnectionStateConnected
	}
	refs := map[types.ManagedObjectReference]bool{}
	for _, h := range l.hostList {
		if h.site != site {
			continue
		}
		refs[h.obj.Reference()] = true
		host := h.obj
		simulator.Map.WithLock(host, func() {
			simulator.Map.Update(host, []types.PropertyChange{
				{Name: "runtime.connectionState", Val: hostState},
				{Name: "summary.runtime.connectionState", Val: hostState},
			})
		})
	}
	if len(refs) == 0 {
		return nil, notFoundErr("no host at site %q", site)
	}
	vms := 0
	for _, r := range l.vmList {
		vm := l.liveVM(r)
		if vm == nil || vm.Runtime.Host == nil || !refs[*vm.Runtime.Host] {
			continue
		}
		vms++
		simulator.Map.WithLock(vm, func() {
			simulator.Map.Update(vm, []types.PropertyChange{
				{Name: "runtime.connectionState", Val: vmState},
				{Name: "summary.runtime.connectionState", Val: vmState},
			})
		})
	}
	return map[string]interface{}{"ok": true, "hosts": len(refs), "vms": vms}, nil
}
