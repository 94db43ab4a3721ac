package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/vmware/govmomi/vim25/types"
)

// The control API (/lab/...) lets the other stand-ins and the tests change what vCenter sees:
// array switches, Zerto recoveries, faults, durations. Contract: lab/CONTRACT.md.

type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...interface{}) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func notFoundErr(format string, args ...interface{}) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (l *Lab) controlHandler() http.Handler {
	mux := http.NewServeMux()
	get := func(path string, f func() (interface{}, error)) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet {
				writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
				return
			}
			respond(w, f)
		})
	}
	post := func(path string, body func() interface{}, f func(interface{}) (interface{}, error)) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
				return
			}
			v := body()
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON body: " + err.Error()})
				return
			}
			respond(w, func() (interface{}, error) { return f(v) })
		})
	}
	get("/lab/health", func() (interface{}, error) { return map[string]bool{"ok": true}, nil })
	get("/lab/state", func() (interface{}, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.state(), nil
	})
	post("/lab/storage/present", func() interface{} { return &storageReq{} }, func(v interface{}) (interface{}, error) {
		req := v.(*storageReq)
		l.mu.Lock()
		defer l.mu.Unlock()
		if err := l.present(req.Datastore, req.Site); err != nil {
			return nil, notFoundErr("%s", err)
		}
		return map[string]bool{"ok": true}, nil
	})
	post("/lab/storage/unpresent", func() interface{} { return &storageReq{} }, func(v interface{}) (interface{}, error) {
		req := v.(*storageReq)
		l.mu.Lock()
		defer l.mu.Unlock()
		if err := l.unpresent(req.Datastore, req.Site); err != nil {
			return nil, notFoundErr("%s", err)
		}
		return map[string]bool{"ok": true}, nil
	})
	post("/lab/vm/relocate", func() interface{} { return &relocateReq{} }, func(v interface{}) (interface{}, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.controlRelocate(v.(*relocateReq))
	})
	post("/lab/vm/power", func() interface{} { return &powerReq{} }, func(v interface{}) (interface{}, error) {
		req := v.(*powerReq)
		l.mu.Lock()
		defer l.mu.Unlock()
		r, ok := l.vms[req.VM]
		if !ok {
			return nil, notFoundErr("unknown vm %q", req.VM)
		}
		if l.liveVM(r) == nil {
			return nil, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("vm %s is not registered", req.VM)}
		}
		l.setPower(r, req.On)
		return map[string]bool{"ok": true}, nil
	})
	post("/lab/site/power", func() interface{} { return &sitePowerReq{} }, func(v interface{}) (interface{}, error) {
		req := v.(*sitePowerReq)
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.setSitePower(req.Site, req.Up)
	})
	post("/lab/vm/test-copy", func() interface{} { return &testCopyReq{} }, func(v interface{}) (interface{}, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.controlTestCopy(v.(*testCopyReq))
	})
	post("/lab/vm/test-copy/remove", func() interface{} { return &testCopyReq{} }, func(v interface{}) (interface{}, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.controlTestCopyRemove(v.(*testCopyReq))
	})
	post("/lab/faults", func() interface{} { return &faultReq{} }, func(v interface{}) (interface{}, error) {
		return l.injectFault(v.(*faultReq))
	})
	post("/lab/durations", func() interface{} { return &durationsReq{} }, func(v interface{}) (interface{}, error) {
		req := v.(*durationsReq)
		if req.TimeScale != nil && *req.TimeScale < 0 {
			return nil, badRequest("timeScale must be >= 0")
		}
		for k, d := range req.Durations {
			if d < 0 {
				return nil, badRequest("duration of %s must be >= 0", k)
			}
		}
		l.timing.set(req.TimeScale, req.Durations)
		scale, durations := l.timing.snapshot()
		return map[string]interface{}{"ok": true, "timeScale": scale, "durations": durations}, nil
	})
	return mux
}

func respond(w http.ResponseWriter, f func() (interface{}, error)) {
	out, err := f()
	if err != nil {
		status := http.StatusInternalServerError
		if he, ok := err.(*httpError); ok {
			status = he.status
		}
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

type storageReq struct {
	Datastore string `json:"datastore"`
	Site      string `json:"site"`
}

type relocateReq struct {
	VM        string `json:"vm"`
	Host      string `json:"host"`
	Datastore string `json:"datastore,omitempty"`
	PowerOn   *bool  `json:"powerOn,omitempty"`
}

type powerReq struct {
	VM string `json:"vm"`
	On bool   `json:"on"`
}

type faultReq struct {
	Kind   string `json:"kind"`
	Method string `json:"method,omitempty"`
	Count  *int   `json:"count,omitempty"`
	Ms     int    `json:"ms,omitempty"`
}

type durationsReq struct {
	TimeScale *float64           `json:"timeScale,omitempty"`
	Durations map[string]float64 `json:"durations,omitempty"`
}

func (l *Lab) injectFault(req *faultReq) (interface{}, error) {
	count := 1
	if req.Count != nil {
		count = *req.Count
	}
	if count < 1 {
		return nil, badRequest("count must be >= 1")
	}
	switch req.Kind {
	case "expire-sessions":
		n := l.sessions.expireAll(l)
		return map[string]interface{}{"ok": true, "expired": n}, nil
	case "task-error":
		if req.Method == "" {
			return nil, badRequest("task-error needs a method")
		}
		l.faults.addTaskError(req.Method, count)
	case "delay":
		if req.Method == "" || req.Ms <= 0 {
			return nil, badRequest("delay needs a method and ms > 0")
		}
		l.faults.addDelay(req.Method, req.Ms, count)
	default:
		return nil, badRequest("unknown fault kind %q (expire-sessions, task-error, delay)", req.Kind)
	}
	return map[string]bool{"ok": true}, nil
}

// controlRelocate moves a VM at once, as Zerto recovers it. With a datastore other than the VM's,
// the VM is recreated there (a new VM object, as Zerto creates the recovered VM); otherwise it is
// moved like a vMotion, keeping its moref.
func (l *Lab) controlRelocate(req *relocateReq) (interface{}, error) {
	r, ok := l.vms[req.VM]
	if !ok {
		return nil, notFoundErr("unknown vm %q", req.VM)
	}
	h, ok := l.hosts[req.Host]
	if !ok {
		return nil, notFoundErr("unknown host %q", req.Host)
	}
	vm := l.liveVM(r)
	wasOn := vm != nil && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
	p, _ := parseDsPath(r.vmxPath)
	if req.Datastore != "" && req.Datastore != p.ds {
		d, ok := l.datastores[req.Datastore]
		if !ok {
			return nil, notFoundErr("unknown datastore %q", req.Datastore)
		}
		if !l.canReach(h, d) {
			return nil, badRequest("datastore %s is not accessible from host %s", d.name, h.name)
		}
		var rules []string
		var cluster *clusterState
		if vm != nil {
			if from := l.hostByRef[*vm.Runtime.Host]; from != nil {
				cluster = from.cluster
				rules = l.rulesWith(cluster, vm.Self)
			}
			if wasOn {
				l.setPower(r, false)
			}
			if fault := l.unregister(r, vm); fault != nil {
				return nil, fmt.Errorf("unregister %s: %s", r.name, fault.msg)
			}
		}
		// The recovered copy replaces whatever an earlier recovery left there.
		if err := os.RemoveAll(filepath.Join(d.dir, r.name)); err != nil {
			return nil, err
		}
		r.vmxPath = fmt.Sprintf("[%s] %s/%s.vmx", d.name, r.name, r.name)
		r.datastores = []string{d.name}
		if err := l.createVM(r, h); err != nil {
			return nil, err
		}
		if cluster == h.cluster {
			l.addToRules(cluster, rules, r.ref)
		}
		l.refreshFreeSpace()
	} else if vm != nil {
		for _, name := range r.datastores {
			if d := l.datastores[name]; d == nil || !l.canReach(h, d) {
				return nil, badRequest("datastore %s of %s is not accessible from host %s", name, r.name, h.name)
			}
		}
		l.moveVM(vm, &relocation{from: l.hostByRef[*vm.Runtime.Host], to: h, pool: h.cluster.pool})
	} else {
		for _, name := range r.datastores {
			if d := l.datastores[name]; d == nil || !l.canReach(h, d) {
				return nil, badRequest("datastore %s of %s is not accessible from host %s", name, r.name, h.name)
			}
		}
		if _, fault := l.register(r.vmxPath, r, h); fault != nil {
			return nil, fmt.Errorf("register %s: %s", r.name, fault.msg)
		}
	}
	if req.PowerOn != nil {
		l.setPower(r, *req.PowerOn)
	} else if wasOn {
		l.setPower(r, true)
	}
	return map[string]interface{}{"ok": true, "moref": r.ref.Value}, nil
}

type vmState struct {
	Name        string   `json:"name"`
	Moref       *string  `json:"moref"`
	Host        *string  `json:"host"`
	Site        *string  `json:"site"`
	PowerState  *string  `json:"powerState"`
	Registered  bool     `json:"registered"`
	Datastores  []string `json:"datastores"`
	VmxPath     string   `json:"vmxPath"`
	NumCPU      int32    `json:"numCpu"`
	MemoryMb    int32    `json:"memoryMb"`
	ToolsStatus *string  `json:"toolsRunningStatus"`
}

type dsStateJSON struct {
	Name       string   `json:"name"`
	Moref      string   `json:"moref"`
	VmfsUUID   string   `json:"vmfsUuid"`
	MountedOn  []string `json:"mountedOn"`
	Accessible bool     `json:"accessible"`
}

type unresolvedJSON struct {
	Host       string `json:"host"`
	Datastore  string `json:"datastore"`
	VmfsUUID   string `json:"vmfsUuid"`
	DevicePath string `json:"devicePath"`
}

type stateJSON struct {
	VMs        []vmState        `json:"vms"`
	Datastores []dsStateJSON    `json:"datastores"`
	Unresolved []unresolvedJSON `json:"unresolved"`
}

func strp(s string) *string { return &s }

func (l *Lab) state() *stateJSON {
	out := &stateJSON{VMs: []vmState{}, Datastores: []dsStateJSON{}, Unresolved: []unresolvedJSON{}}
	for _, r := range l.vmList {
		s := vmState{
			Name: r.name, Datastores: append([]string{}, r.datastores...), VmxPath: r.vmxPath,
			NumCPU: r.numCPU, MemoryMb: r.memoryMb,
		}
		if vm := l.liveVM(r); vm != nil {
			s.Registered = true
			s.Moref = strp(vm.Self.Value)
			s.PowerState = strp(string(vm.Runtime.PowerState))
			s.NumCPU = vm.Config.Hardware.NumCPU
			s.MemoryMb = vm.Config.Hardware.MemoryMB
			if vm.Guest != nil {
				s.ToolsStatus = strp(vm.Guest.ToolsRunningStatus)
			}
			if h := l.hostByRef[*vm.Runtime.Host]; h != nil {
				s.Host = strp(h.name)
				s.Site = strp(h.site)
			}
		}
		out.VMs = append(out.VMs, s)
	}
	for _, d := range l.dsList {
		s := dsStateJSON{Name: d.name, Moref: d.obj.Self.Value, VmfsUUID: d.uuid, MountedOn: []string{}, Accessible: d.obj.Summary.Accessible}
		for _, h := range l.sortedHosts(d.mounts) {
			s.MountedOn = append(s.MountedOn, h.name)
		}
		out.Datastores = append(out.Datastores, s)
	}
	for _, h := range l.hostList {
		for _, u := range l.unresolvedOn(h) {
			out.Unresolved = append(out.Unresolved, unresolvedJSON{Host: h.name, Datastore: u.ds.name, VmfsUUID: u.ds.uuid, DevicePath: devicePath(u.device)})
		}
	}
	return out
}
