package main

import (
	"fmt"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// labFault is a vim25 fault with the message a real vCenter would put in faultstring and in a
// task's info.error.localizedMessage (the simulator puts the Go type name there).
type labFault struct {
	fault types.BaseMethodFault
	msg   string
}

func newFault(f types.BaseMethodFault, msg string) *labFault {
	if msg == "" {
		msg = humanMessage(f)
	}
	return &labFault{fault: f, msg: msg}
}

func soapFault(f *labFault) *soap.Fault {
	return simulator.Fault(f.msg, f.fault)
}

func powerStateLabel(s types.VirtualMachinePowerState) string {
	switch s {
	case types.VirtualMachinePowerStatePoweredOn:
		return "Powered on"
	case types.VirtualMachinePowerStatePoweredOff:
		return "Powered off"
	case types.VirtualMachinePowerStateSuspended:
		return "Suspended"
	}
	return string(s)
}

// humanMessage gives the English message vCenter uses for the faults the lab raises, for faults
// raised inside the simulator itself.
func humanMessage(f types.BaseMethodFault) string {
	switch x := f.(type) {
	case *types.InvalidPowerState:
		return fmt.Sprintf("The attempted operation cannot be performed in the current state (%s).", powerStateLabel(x.ExistingState))
	case *types.ToolsUnavailable:
		return "Cannot complete operation because VMware Tools is not running in this virtual machine."
	case *types.AlreadyExists:
		return fmt.Sprintf("The specified key, name, or identifier '%s' already exists.", x.Name)
	case *types.ResourceInUse:
		return fmt.Sprintf("The resource '%s' is in use.", x.Name)
	case *types.NotFound:
		return "The object or item referred to could not be found."
	case *types.InvalidArgument:
		return fmt.Sprintf("A specified parameter was not correct: %s", x.InvalidProperty)
	case *types.ManagedObjectNotFound:
		return fmt.Sprintf("The object 'vim.%s:%s' has already been deleted or has not been completely created", x.Obj.Type, x.Obj.Value)
	case *types.InvalidState:
		return "The operation is not allowed in the current state."
	case *types.NotSupported:
		return "The operation is not supported on the object."
	case *types.FileNotFound:
		return fmt.Sprintf("File %s was not found", x.File)
	case *types.FileAlreadyExists:
		return fmt.Sprintf("Cannot complete the operation because the file or folder %s already exists", x.File)
	case *types.InvalidDatastorePath:
		return fmt.Sprintf("Invalid datastore path '%s'.", x.DatastorePath)
	case *types.SystemError:
		return fmt.Sprintf("A general system error occurred: %s", x.Reason)
	case *types.NotAuthenticated:
		return "The session is not authenticated."
	case *types.HostConfigFault:
		return "An error occurred during host configuration."
	case *types.InvalidVmConfig:
		return fmt.Sprintf("Invalid virtual machine configuration: %s", x.Property)
	case *types.DuplicateName:
		return fmt.Sprintf("The name '%s' already exists.", x.Name)
	case *types.DatastoreNotWritableOnHost:
		return fmt.Sprintf("The datastore '%s' is not accessible from the host.", x.Name)
	case nil:
		return ""
	}
	return fmt.Sprintf("The operation failed: %T", f)
}

// faults holds the faults injected through POST /lab/faults.
type faults struct {
	mu        sync.Mutex
	taskError map[string]int
	delays    map[string][]delayFault
}

type delayFault struct {
	ms    int
	count int
}

func newFaults() *faults {
	return &faults{taskError: map[string]int{}, delays: map[string][]delayFault{}}
}

func (f *faults) addTaskError(method string, count int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.taskError[method] += count
}

func (f *faults) takeTaskError(method string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.taskError[method] > 0 {
		f.taskError[method]--
		return true
	}
	return false
}

func (f *faults) addDelay(method string, ms, count int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delays[method] = append(f.delays[method], delayFault{ms: ms, count: count})
}

// takeDelay returns the delay in ms to apply to this call of method, consuming one use.
func (f *faults) takeDelay(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.delays[method]
	if len(list) == 0 {
		return 0
	}
	d := list[0]
	list[0].count--
	if list[0].count <= 0 {
		list = list[1:]
	}
	f.delays[method] = list
	return d.ms
}
