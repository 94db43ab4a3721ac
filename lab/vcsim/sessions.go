package main

import (
	"net/http"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// sessionTracker remembers the sessions handed out by Login: the simulator keeps its session table
// private, and the lab needs it to check sessions on the methods it serves itself and to expire
// them all on demand.
type sessionTracker struct {
	mu    sync.Mutex
	users map[string]string
}

func newSessionTracker() *sessionTracker {
	return &sessionTracker{users: map[string]string{}}
}

func (t *sessionTracker) recordLogin(header http.Header, user string) {
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == soap.SessionCookieName {
			t.mu.Lock()
			t.users[c.Value] = user
			t.mu.Unlock()
		}
	}
}

func sessionKey(r *http.Request) string {
	c, err := r.Cookie(soap.SessionCookieName)
	if err != nil {
		return ""
	}
	return strings.Trim(c.Value, `"`)
}

// valid reports whether the request carries a live session (one the simulator has not dropped on
// Logout or expiry).
func (t *sessionTracker) valid(l *Lab, r *http.Request) bool {
	key := sessionKey(r)
	if key == "" {
		return false
	}
	t.mu.Lock()
	user, ok := t.users[key]
	t.mu.Unlock()
	if !ok {
		return false
	}
	sm := simulator.Map.SessionManager()
	res := sm.SessionIsActive(l.ctx, &types.SessionIsActive{This: sm.Self, SessionID: key, UserName: user})
	body, ok := res.(*methods.SessionIsActiveBody)
	return ok && body.Res != nil && body.Res.Returnval
}

// expireAll terminates every session, as when vCenter drops sessions (restart, idle timeout):
// clients get NotAuthenticated and must log in again.
func (t *sessionTracker) expireAll(l *Lab) int {
	t.mu.Lock()
	keys := make([]string, 0, len(t.users))
	for k := range t.users {
		keys = append(keys, k)
	}
	t.users = map[string]string{}
	t.mu.Unlock()
	sm := simulator.Map.SessionManager()
	n := 0
	for _, k := range keys {
		res := sm.TerminateSession(l.ctx, &types.TerminateSession{This: sm.Self, SessionId: []string{k}})
		if res.Fault() == nil {
			n++
		}
	}
	return n
}
