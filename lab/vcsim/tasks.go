package main

import (
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// timing holds the per-method task durations of the model and the time scale, both changeable at
// run time through POST /lab/durations.
type timing struct {
	mu        sync.Mutex
	durations map[string]float64
	scale     float64
}

func newTiming(d map[string]float64) *timing {
	t := &timing{durations: map[string]float64{}, scale: 1}
	for k, v := range d {
		t.durations[k] = v
	}
	return t
}

func (t *timing) duration(method string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := t.durations[method] * t.scale
	return time.Duration(ms * float64(time.Millisecond))
}

func (t *timing) set(scale *float64, durations map[string]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if scale != nil {
		t.scale = *scale
	}
	for k, v := range durations {
		t.durations[k] = v
	}
}

func (t *timing) snapshot() (float64, map[string]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]float64{}
	for k, v := range t.durations {
		out[k] = v
	}
	return t.scale, out
}

type taskSpec struct {
	entity        types.ManagedObjectReference
	entityName    string
	method        string
	descriptionID string
	// check runs when the task starts running (under Lab.mu); a fault ends the task at once, as
	// vCenter fails a task whose preconditions do not hold without waiting for its full duration.
	check func() *labFault
	// run applies the effect at the end of the task's duration (under Lab.mu).
	run func() (types.AnyType, *labFault)
}

const progressSteps = 10

// startTask creates a Task and returns its moref at once; a goroutine takes it through
// queued → running (with info.progress moving) → success/error over the method's duration.
func (l *Lab) startTask(spec taskSpec) types.ManagedObjectReference {
	task := simulator.CreateTask(spec.entity, "lab", nil)
	simulator.Map.WithLock(task, func() {
		task.Info.Name = spec.method
		task.Info.DescriptionId = spec.descriptionID
		task.Info.EntityName = spec.entityName
		task.Info.Cancelable = false
		task.Info.Cancelled = false
	})
	total := l.timing.duration(spec.method)
	go l.runTask(task, spec, total)
	return task.Self
}

func (l *Lab) updateTask(task *simulator.Task, changes []types.PropertyChange) {
	simulator.Map.WithLock(task, func() { simulator.Map.Update(task, changes) })
}

func (l *Lab) runTask(task *simulator.Task, spec taskSpec, total time.Duration) {
	time.Sleep(total / 20) // queued
	now := time.Now()
	l.updateTask(task, []types.PropertyChange{
		{Name: "info.state", Val: types.TaskInfoStateRunning},
		{Name: "info.startTime", Val: now},
		{Name: "info.progress", Val: int32(0)},
	})

	var fault *labFault
	if l.faults.takeTaskError(spec.method) {
		fault = newFault(&types.SystemError{Reason: "injected by the lab for " + spec.method}, "")
	}
	if fault == nil && spec.check != nil {
		l.mu.Lock()
		fault = spec.check()
		l.mu.Unlock()
	}
	if fault == nil {
		step := (total - total/20) / progressSteps
		for i := 1; i < progressSteps; i++ {
			time.Sleep(step)
			l.updateTask(task, []types.PropertyChange{{Name: "info.progress", Val: int32(i * 100 / progressSteps)}})
		}
		time.Sleep(step)
	}
	var result types.AnyType
	if fault == nil {
		l.mu.Lock()
		result, fault = spec.run()
		l.mu.Unlock()
	}
	l.finishTask(task, result, fault)
}

func (l *Lab) finishTask(task *simulator.Task, result types.AnyType, fault *labFault) {
	changes := []types.PropertyChange{{Name: "info.completeTime", Val: time.Now()}}
	if fault != nil {
		changes = append(changes,
			types.PropertyChange{Name: "info.state", Val: types.TaskInfoStateError},
			types.PropertyChange{Name: "info.error", Val: types.LocalizedMethodFault{Fault: fault.fault, LocalizedMessage: fault.msg}},
		)
	} else {
		changes = append(changes,
			types.PropertyChange{Name: "info.state", Val: types.TaskInfoStateSuccess},
			types.PropertyChange{Name: "info.progress", Val: int32(100)},
		)
		if result != nil {
			changes = append(changes, types.PropertyChange{Name: "info.result", Val: result})
		}
	}
	l.updateTask(task, changes)
}

// taskErrorFixer rewrites info.error.localizedMessage of the tasks the simulator runs itself
// (ReconfigVM_Task, CreateVM_Task, ...), where it is the Go type name of the fault. It is a
// registry handler, so it sees every task update as it happens.
type taskErrorFixer struct{}

var fixerRef = types.ManagedObjectReference{Type: "LabTaskErrorFixer", Value: "lab-task-error-fixer"}

func (taskErrorFixer) Reference() types.ManagedObjectReference   { return fixerRef }
func (taskErrorFixer) PutObject(mo.Reference)                    {}
func (taskErrorFixer) RemoveObject(types.ManagedObjectReference) {}

func (taskErrorFixer) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	task, ok := obj.(*mo.Task)
	if !ok {
		return
	}
	for i := range changes {
		if changes[i].Name != "info.error" {
			continue
		}
		lmf, ok := changes[i].Val.(types.LocalizedMethodFault)
		if !ok || !strings.HasPrefix(lmf.LocalizedMessage, "*types.") {
			continue
		}
		lmf.LocalizedMessage = humanMessage(lmf.Fault)
		// The same slice is queued by every property collector, so fixing it here fixes their view.
		changes[i].Val = lmf
		if task.Info.Error != nil {
			task.Info.Error.LocalizedMessage = lmf.LocalizedMessage
		}
	}
}
