package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// Zerto's failover test starts a copy of each VM of the VPG at the recovery site, named
// "<vm> - testing recovery", on the test network, from the replica's journal; production keeps
// running untouched. Stopping the test powers the copies off and deletes them. The Zerto stand-in
// asks vCenter for the same through POST /lab/vm/test-copy and /lab/vm/test-copy/remove.

type testCopyReq struct {
	VM   string `json:"vm"`
	Site string `json:"site"`
	// Datastore is the recovery datastore (Zerto's journal/scratch volumes); any of the site when empty.
	Datastore string `json:"datastore,omitempty"`
}

const testCopySuffix = " - testing recovery"

// controlTestCopy creates and powers on the test copy of a VM on the first host of the site that
// mounts the datastore asked for (any datastore of the site when none). Idempotent: an existing
// copy is left as it is.
func (l *Lab) controlTestCopy(req *testCopyReq) (interface{}, error) {
	src, ok := l.vms[req.VM]
	if !ok {
		return nil, notFoundErr("unknown vm %q", req.VM)
	}
	name := req.VM + testCopySuffix
	if r, ok := l.vms[name]; ok && l.liveVM(r) != nil {
		return map[string]interface{}{"ok": true, "name": name, "created": false}, nil
	}
	hosts := l.hostsOfSite(req.Site)
	if len(hosts) == 0 {
		return nil, badRequest("site %q has no host", req.Site)
	}
	var h *hostState
	var ds *dsState
	for _, host := range hosts {
		for _, d := range l.dsList {
			if d.mounts[host] == nil || !d.obj.Summary.Accessible {
				continue
			}
			if (req.Datastore == "" && d.site == req.Site) || d.name == req.Datastore {
				h, ds = host, d
				break
			}
		}
		if ds != nil {
			break
		}
	}
	if ds == nil {
		return nil, badRequest("no host of %s mounts datastore %q", req.Site, req.Datastore)
	}
	r := &vmRecord{
		name:       name,
		vmxPath:    fmt.Sprintf("[%s] %s/%s.vmx", ds.name, name, name),
		datastores: []string{ds.name},
		numCPU:     src.numCPU,
		memoryMb:   src.memoryMb,
		hasTools:   src.hasTools,
		attributes: map[string]string{},
	}
	if err := l.createVM(r, h); err != nil {
		return nil, fmt.Errorf("test copy of %s: %w", req.VM, err)
	}
	l.vms[name] = r
	l.vmList = append(l.vmList, r)
	l.setPower(r, true)
	return map[string]interface{}{"ok": true, "name": name, "created": true}, nil
}

// controlTestCopyRemove powers the test copy off and destroys it with its files. Idempotent.
func (l *Lab) controlTestCopyRemove(req *testCopyReq) (interface{}, error) {
	name := req.VM + testCopySuffix
	r, ok := l.vms[name]
	if !ok {
		return map[string]interface{}{"ok": true, "removed": false}, nil
	}
	if vm := l.liveVM(r); vm != nil {
		l.setPower(r, false)
		var res interface{}
		simulator.Map.WithLock(vm, func() {
			res = vm.DestroyTask(l.ctx, &types.Destroy_Task{This: vm.Self})
		})
		if _, err := taskResult(res.(*methods.Destroy_TaskBody).Res.Returnval); err != nil {
			return nil, fmt.Errorf("destroying %s: %w", name, err)
		}
	}
	delete(l.vms, name)
	for i, x := range l.vmList {
		if x == r {
			l.vmList = append(l.vmList[:i], l.vmList[i+1:]...)
			break
		}
	}
	return map[string]interface{}{"ok": true, "removed": true}, nil
}
