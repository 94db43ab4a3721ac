package main

import (
	"sync"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// LabPropertyCollector adds paging to the simulator's PropertyCollector: RetrievePropertiesEx
// honours RetrieveOptions.maxObjects and returns a token, ContinueRetrievePropertiesEx and
// CancelRetrievePropertiesEx use it. The simulator clones the root collector per session with
// reflect.New of the stored type, so every session gets this type; it must stay free of fields
// that need initialising, hence the package-level token store.
type LabPropertyCollector struct {
	simulator.PropertyCollector
}

var pages = newTokenStore()

type page struct {
	session string
	objects []types.ObjectContent
	size    int
}

type tokenStore struct {
	mu    sync.Mutex
	pages map[string]*page
	order []string
}

func newTokenStore() *tokenStore { return &tokenStore{pages: map[string]*page{}} }

// maxTokens bounds the memory held by retrievals that clients never finish.
const maxTokens = 1000

func (t *tokenStore) put(p *page) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	token := uuid.New().String()
	t.pages[token] = p
	t.order = append(t.order, token)
	for len(t.order) > maxTokens {
		delete(t.pages, t.order[0])
		t.order = t.order[1:]
	}
	return token
}

func (t *tokenStore) take(token, session string) *page {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.pages[token]
	if !ok || p.session != session {
		return nil
	}
	delete(t.pages, token)
	return p
}

func notAuthenticated(this types.ManagedObjectReference) *soap.Fault {
	return soapFault(newFault(&types.NotAuthenticated{NoPermission: types.NoPermission{Object: this, PrivilegeId: "System.View"}}, ""))
}

// cut returns the first page of objects and a token for the rest, if any.
func cut(session string, objects []types.ObjectContent, size int) *types.RetrieveResult {
	if len(objects) == 0 {
		return nil
	}
	if size <= 0 || len(objects) <= size {
		return &types.RetrieveResult{Objects: objects}
	}
	token := pages.put(&page{session: session, objects: objects[size:], size: size})
	return &types.RetrieveResult{Objects: objects[:size], Token: token}
}

func (pc *LabPropertyCollector) RetrievePropertiesEx(ctx *simulator.Context, req *types.RetrievePropertiesEx) soap.HasFault {
	// The simulator answers without a session (with every property in missingSet); a real vCenter
	// refuses, and clients rely on that fault to log in again.
	if ctx.Session == nil {
		return &methods.RetrievePropertiesExBody{Fault_: notAuthenticated(req.This)}
	}
	res := pc.PropertyCollector.RetrievePropertiesEx(ctx, req)
	body, ok := res.(*methods.RetrievePropertiesExBody)
	if !ok || body.Fault_ != nil || body.Res == nil || body.Res.Returnval == nil {
		return res
	}
	body.Res.Returnval = cut(ctx.Session.Key, body.Res.Returnval.Objects, int(req.Options.MaxObjects))
	return body
}

func (pc *LabPropertyCollector) RetrieveProperties(ctx *simulator.Context, req *types.RetrieveProperties) soap.HasFault {
	if ctx.Session == nil {
		return &methods.RetrievePropertiesBody{Fault_: notAuthenticated(req.This)}
	}
	return pc.PropertyCollector.RetrieveProperties(ctx, req)
}

func (pc *LabPropertyCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, req *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	if ctx.Session == nil {
		body.Fault_ = notAuthenticated(req.This)
		return body
	}
	p := pages.take(req.Token, ctx.Session.Key)
	if p == nil {
		body.Fault_ = soapFault(newFault(&types.InvalidArgument{InvalidProperty: "token"}, ""))
		return body
	}
	res := cut(ctx.Session.Key, p.objects, p.size)
	if res == nil {
		res = &types.RetrieveResult{}
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *res}
	return body
}

func (pc *LabPropertyCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, req *types.CancelRetrievePropertiesEx) soap.HasFault {
	body := &methods.CancelRetrievePropertiesExBody{}
	if ctx.Session == nil {
		body.Fault_ = notAuthenticated(req.This)
		return body
	}
	if pages.take(req.Token, ctx.Session.Key) == nil {
		body.Fault_ = soapFault(newFault(&types.InvalidArgument{InvalidProperty: "token"}, ""))
		return body
	}
	body.Res = &types.CancelRetrievePropertiesExResponse{}
	return body
}

// CreatePropertyCollector hands out the paging type for private collectors too.
func (pc *LabPropertyCollector) CreatePropertyCollector(ctx *simulator.Context, _ *types.CreatePropertyCollector) soap.HasFault {
	return &methods.CreatePropertyCollectorBody{Res: &types.CreatePropertyCollectorResponse{
		Returnval: ctx.Session.Put(&LabPropertyCollector{}).Reference(),
	}}
}
