package main

import (
	"context"
	"sort"
	"sync"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// Lab holds what the simulator cannot: which LUN each site sees, how each host mounts each VMFS,
// and every VM's hardware as it was when it was last registered (a real vCenter reads it back from
// the .vmx; the simulator does not). The simulator objects are derived views of this state.
//
// Locking: mu is taken first, then at most one simulator object lock at a time (Registry.WithLock).
// Simulator handlers never take mu, so the order cannot invert.
type Lab struct {
	mu      sync.Mutex
	model   *LabModel
	ctx     *simulator.Context
	dataDir string

	dc       *simulator.Datacenter
	vmFolder *simulator.Folder
	dsFolder *simulator.Folder

	clusters  map[string]*clusterState
	hosts     map[string]*hostState
	hostList  []*hostState
	hostByRef map[types.ManagedObjectReference]*hostState

	datastores map[string]*dsState
	dsList     []*dsState
	dsByRef    map[types.ManagedObjectReference]*dsState

	// presented[site][naa] is the datastore whose LUN that site's hosts can see and write.
	presented map[string]map[string]*dsState
	// resignatured[naa] is the snap-xxxxxxxx-<name> copy living on that LUN once resignatured.
	resignatured map[string]*dsState

	vms     map[string]*vmRecord
	vmList  []*vmRecord
	fields  map[string]int32
	keyName map[int32]string

	timing   *timing
	faults   *faults
	sessions *sessionTracker
}

type clusterState struct {
	site string
	obj  *simulator.ClusterComputeResource
	pool types.ManagedObjectReference
}

type hostState struct {
	name    string
	site    string
	obj     *simulator.HostSystem
	storage *LabStorageSystem
	dss     *LabDatastoreSystem
	cluster *clusterState
	// scanned holds the LUNs found by the host's last rescan: a newly presented LUN stays
	// invisible to the host until RescanAllHba, as on a real ESXi.
	scanned map[string]bool
}

type mount struct {
	device string
	forced bool
}

type dsState struct {
	name     string
	site     string
	method   string
	uuid     string
	lun      string // the device whose VMFS signature this datastore carries
	replica  string
	capacity int64
	dir      string
	obj      *simulator.Datastore
	mounts   map[*hostState]*mount
	// origin is set on a resignatured copy (snap-xxxxxxxx-<name>): the datastore it was cut from.
	origin *dsState
}

type vmRecord struct {
	name       string
	ref        types.ManagedObjectReference
	registered bool
	vmxPath    string
	datastores []string
	iso        string
	numCPU     int32
	memoryMb   int32
	hasTools   bool
	snapshot   bool
	attributes map[string]string
	// busy is set while a ShutdownGuest is pending, so that two shutdowns do not race.
	shuttingDown bool
}

func newLabContext() *simulator.Context {
	return &simulator.Context{
		Context: context.Background(),
		Session: &simulator.Session{
			UserSession: types.UserSession{Key: uuid.New().String(), UserName: "vcsim-lab"},
			Registry:    simulator.NewRegistry(),
		},
		Map: simulator.Map,
	}
}

// deviceFor is the LUN a site's hosts see for a datastore: the owner's LUN at home, the replica on
// the other site; a Live Volume shows one identity on both sites.
func (d *dsState) deviceFor(site string) string {
	if site == d.site || d.method == "live-volume" || d.origin != nil {
		return d.lun
	}
	return d.replica
}

func (l *Lab) sortedHosts(set map[*hostState]*mount) []*hostState {
	out := make([]*hostState, 0, len(set))
	for _, h := range l.hostList {
		if _, ok := set[h]; ok {
			out = append(out, h)
		}
	}
	return out
}

func (l *Lab) hostsOfSite(site string) []*hostState {
	var out []*hostState
	for _, h := range l.hostList {
		if h.site == site {
			out = append(out, h)
		}
	}
	return out
}

func (l *Lab) vmByRef(ref types.ManagedObjectReference) *vmRecord {
	for _, r := range l.vmList {
		if r.registered && r.ref == ref {
			return r
		}
	}
	return nil
}

func (l *Lab) liveVM(r *vmRecord) *simulator.VirtualMachine {
	if !r.registered {
		return nil
	}
	vm, ok := simulator.Map.Get(r.ref).(*simulator.VirtualMachine)
	if !ok {
		// Destroyed through a method the lab does not override (Destroy_Task): the files are gone too.
		r.registered = false
		return nil
	}
	return vm
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
