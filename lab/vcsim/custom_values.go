package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// setFieldValue replaces an entity's value for a custom field (the simulator appended a second
// value on every SetField); an empty value removes it.
func (l *Lab) setFieldValue(entity types.ManagedObjectReference, key int32, value string) *labFault {
	obj, ok := simulator.Map.Get(entity).(mo.Entity)
	if !ok {
		return notFound(entity)
	}
	e := obj.Entity()
	simulator.Map.WithLock(obj, func() {
		var values []types.BaseCustomFieldValue
		for _, v := range e.CustomValue {
			if v.GetCustomFieldValue().Key != key {
				values = append(values, v)
			}
		}
		if value != "" {
			values = append(values, &types.CustomFieldStringValue{CustomFieldValue: types.CustomFieldValue{Key: key}, Value: value})
		}
		e.CustomValue = values
		e.Value = values
	})
	return nil
}

func (l *Lab) setField(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.SetField)
	body := &methods.SetFieldBody{}
	l.mu.Lock()
	defer l.mu.Unlock()
	found := false
	for _, f := range simulator.Map.CustomFieldsManager().Field {
		if f.Key == req.Key {
			found = true
		}
	}
	if !found {
		body.Fault_ = soapFault(newFault(&types.InvalidArgument{InvalidProperty: "key"}, ""))
		return body
	}
	if fault := l.setFieldValue(req.Entity, req.Key, req.Value); fault != nil {
		body.Fault_ = soapFault(fault)
		return body
	}
	body.Res = &types.SetFieldResponse{}
	return body
}

func (l *Lab) setCustomValue(m *simulator.Method) soap.HasFault {
	req := m.Body.(*types.SetCustomValue)
	body := &methods.SetCustomValueBody{}
	l.mu.Lock()
	defer l.mu.Unlock()
	var key int32 = -1
	for _, f := range simulator.Map.CustomFieldsManager().Field {
		if f.Name == req.Key && (f.ManagedObjectType == "" || f.ManagedObjectType == req.This.Type) {
			key = f.Key
		}
	}
	if key < 0 {
		body.Fault_ = soapFault(newFault(&types.InvalidArgument{InvalidProperty: "key"}, ""))
		return body
	}
	if fault := l.setFieldValue(req.This, key, req.Value); fault != nil {
		body.Fault_ = soapFault(fault)
		return body
	}
	body.Res = &types.SetCustomValueResponse{}
	return body
}
