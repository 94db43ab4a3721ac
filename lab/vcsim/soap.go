package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// sdkHandler serves one vim25 method that the lab implements itself. The simulator dispatches on
// the Go type of the object behind _this and asserts concrete types (*VirtualMachine, *Folder,
// *Datacenter) all over its code, so those objects cannot be replaced by wrapper types; their
// methods are intercepted here, before the simulator sees the request.
type sdkHandler func(m *simulator.Method) soap.HasFault

var vimTypes = types.TypeFunc()

func typeFunc(name string) (reflect.Type, bool) {
	if t, ok := vimTypes(name); ok {
		return t, true
	}
	if i := strings.Index(name, ":"); i >= 0 {
		return vimTypes(name[i+1:])
	}
	return nil, false
}

func (l *Lab) serveSDK(svc *simulator.Service, handlers map[string]sdkHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			svc.ServeSDK(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		method, err := simulator.UnmarshalBody(typeFunc, body)
		if err != nil {
			svc.ServeSDK(w, r) // the simulator answers with its own fault
			return
		}
		if ms := l.faults.takeDelay(method.Name); ms > 0 {
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		rec := httptest.NewRecorder()
		if h, ok := handlers[method.This.Type+"."+method.Name]; ok && l.owns(method.This) {
			if !l.sessions.valid(l, r) {
				writeSoap(rec, method.Name, nil, newFault(&types.NotAuthenticated{NoPermission: types.NoPermission{Object: method.This, PrivilegeId: "System.View"}}, ""))
			} else {
				writeSoap(rec, method.Name, h(method), nil)
			}
		} else {
			svc.ServeSDK(rec, r)
			if login, ok := method.Body.(*types.Login); ok {
				l.sessions.recordLogin(rec.Header(), login.UserName)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(fixXsiType(rec.Body.Bytes()))
	}
}

// owns tells whether the lab serves calls on this object itself. VMs created by clients
// (CreateVM_Task, CloneVM_Task) are not tracked by the lab: the simulator's own methods serve them.
func (l *Lab) owns(ref types.ManagedObjectReference) bool {
	if ref.Type != "VirtualMachine" {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vmByRef(ref) != nil {
		return true
	}
	_, isVM := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	return !isVM
}

var (
	xsiDecl  = []byte(` xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"`)
	xsiLong  = []byte(`XMLSchema-instance:type="`)
	xsiShort = []byte(`xsi:type="`)
)

// fixXsiType rewrites the polymorphic type attribute the way vCenter writes it. govmomi's encoder
// declares a new prefix on every element (xmlns:XMLSchema-instance="…" XMLSchema-instance:type=),
// which is valid XML but breaks clients that match on "xsi:type" or drop namespace prefixes
// (the latter then confuse it with a MoRef's own type attribute). The envelope already binds xsi.
func fixXsiType(body []byte) []byte {
	if !bytes.Contains(body, xsiLong) {
		return body
	}
	body = bytes.ReplaceAll(body, xsiDecl, nil)
	return bytes.ReplaceAll(body, xsiLong, xsiShort)
}

// The envelope types below follow the simulator's own (unexported) ones, so that responses from
// the lab's methods look exactly like the simulator's.
type soapEnvelope struct {
	XMLName xml.Name    `xml:"soapenv:Envelope"`
	Enc     string      `xml:"xmlns:soapenc,attr"`
	Env     string      `xml:"xmlns:soapenv,attr"`
	XSD     string      `xml:"xmlns:xsd,attr"`
	XSI     string      `xml:"xmlns:xsi,attr"`
	Body    interface{} `xml:"soapenv:Body"`
}

type faultDetail struct {
	Fault types.AnyType
}

type soapFaultBody struct {
	XMLName xml.Name `xml:"soapenv:Fault"`
	Code    string   `xml:"faultcode"`
	String  string   `xml:"faultstring"`
	Detail  struct {
		Fault *faultDetail
	} `xml:"detail"`
}

func (d *faultDetail) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	kind := reflect.TypeOf(d.Fault).Elem().Name()
	start.Name.Local = kind + "Fault"
	start.Attr = append(start.Attr,
		xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: "urn:" + vim25.Namespace},
		xml.Attr{Name: xml.Name{Local: "xsi:type"}, Value: kind})
	return e.EncodeElement(d.Fault, start)
}

// response names its element after the method as called (setCustomValueResponse), where the
// simulator uses the Go type name (SetCustomValueResponse) and gets lower-case methods wrong.
type response struct {
	Method string
	Body   soap.HasFault
}

func (r *response) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	val := reflect.ValueOf(r.Body).Elem().FieldByName("Res")
	if !val.IsValid() || val.IsNil() {
		return fmt.Errorf("%T: missing Res", r.Body)
	}
	res := xml.StartElement{Name: xml.Name{Space: "urn:" + vim25.Namespace, Local: r.Method + "Response"}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeElement(val.Interface(), res); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

func writeSoap(w http.ResponseWriter, method string, res soap.HasFault, lf *labFault) {
	var f *soap.Fault
	if lf != nil {
		f = soapFault(lf)
	} else if res != nil {
		f = res.Fault()
	}
	var body interface{}
	status := http.StatusOK
	if f != nil {
		status = http.StatusInternalServerError
		fb := &soapFaultBody{Code: f.Code, String: f.String}
		fb.Detail.Fault = &faultDetail{Fault: f.Detail.Fault}
		body = struct{ Fault *soapFaultBody }{fb}
	} else {
		body = &response{Method: method, Body: res}
	}
	var out bytes.Buffer
	out.WriteString(xml.Header)
	enc := xml.NewEncoder(&out)
	err := enc.Encode(&soapEnvelope{
		Enc:  "http://schemas.xmlsoap.org/soap/encoding/",
		Env:  "http://schemas.xmlsoap.org/soap/envelope/",
		XSD:  "http://www.w3.org/2001/XMLSchema",
		XSI:  "http://www.w3.org/2001/XMLSchema-instance",
		Body: body,
	})
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}
