package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// LabModel mirrors lab/model.ts; only the fields vcsim needs are decoded.
type LabModel struct {
	Datacenter        string             `json:"datacenter"`
	Sites             []string           `json:"sites"`
	Hosts             []LabHost          `json:"hosts"`
	Datastores        []LabDatastore     `json:"datastores"`
	Vms               []LabVM            `json:"vms"`
	AntiAffinityRules []LabRule          `json:"antiAffinityRules"`
	TaskDurationsMs   map[string]float64 `json:"taskDurationsMs"`
}

type LabHost struct {
	Name          string `json:"name"`
	Site          string `json:"site"`
	CPUCores      int32  `json:"cpuCores"`
	CPUMhzPerCore int32  `json:"cpuMhzPerCore"`
	MemoryMb      int64  `json:"memoryMb"`
}

type LabDatastore struct {
	Name       string   `json:"name"`
	Site       string   `json:"site"`
	Method     string   `json:"method"`
	MountedOn  []string `json:"mountedOn"`
	CapacityGb int64    `json:"capacityGb"`
	VmfsUUID   string   `json:"vmfsUuid"`
	Lun        string   `json:"lun"`
	ReplicaLun string   `json:"replicaLun"`
}

type LabVM struct {
	Name         string            `json:"name"`
	Host         string            `json:"host"`
	Datastores   []string          `json:"datastores"`
	NumCPU       int32             `json:"numCpu"`
	MemoryMb     int32             `json:"memoryMb"`
	PowerOn      bool              `json:"powerOn"`
	ToolsRunning bool              `json:"toolsRunning"`
	Snapshot     bool              `json:"snapshot"`
	Iso          string            `json:"iso"`
	Attributes   map[string]string `json:"attributes"`
}

type LabRule struct {
	Cluster string   `json:"cluster"`
	Name    string   `json:"name"`
	Vms     []string `json:"vms"`
}

func loadModel(path string) (*LabModel, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m LabModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// validate catches model mistakes up front: the simulator would otherwise panic deep inside on a
// nil type assertion (a VM on a datastore its host cannot see, for example).
func (m *LabModel) validate() error {
	if m.Datacenter == "" {
		return fmt.Errorf("model has no datacenter")
	}
	sites := map[string]bool{}
	for _, s := range m.Sites {
		sites[s] = true
	}
	hosts := map[string]LabHost{}
	for _, h := range m.Hosts {
		if !sites[h.Site] {
			return fmt.Errorf("host %s: unknown site %q", h.Name, h.Site)
		}
		hosts[h.Name] = h
	}
	dss := map[string]LabDatastore{}
	for _, d := range m.Datastores {
		for _, s := range d.MountedOn {
			if !sites[s] {
				return fmt.Errorf("datastore %s: unknown site %q", d.Name, s)
			}
		}
		dss[d.Name] = d
	}
	for _, v := range m.Vms {
		h, ok := hosts[v.Host]
		if !ok {
			return fmt.Errorf("vm %s: unknown host %q", v.Name, v.Host)
		}
		if len(v.Datastores) == 0 {
			return fmt.Errorf("vm %s: no datastore", v.Name)
		}
		for _, name := range v.Datastores {
			d, ok := dss[name]
			if !ok {
				return fmt.Errorf("vm %s: unknown datastore %q", v.Name, name)
			}
			if !contains(d.MountedOn, h.Site) {
				return fmt.Errorf("vm %s: datastore %s is not mounted on site %s", v.Name, name, h.Site)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
