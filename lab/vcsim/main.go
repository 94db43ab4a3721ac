// Command vcsim is the vCenter of the Bascule lab: govmomi's simulator (0.24.2) loaded from a
// LabModel, with the methods and fixes the product depends on, and a control API under /lab.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "vcsim: %s\n", err)
		os.Exit(1)
	}
}

func run() error {
	modelPath := flag.String("model", "", "LabModel JSON file")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	certFile := flag.String("cert", "", "server certificate (PEM)")
	keyFile := flag.String("key", "", "server key (PEM)")
	timeScale := flag.Float64("time-scale", 1, "factor applied to task durations")
	genCertsDir := flag.String("gen-certs", "", "write ca.pem, ca-key.pem, server.pem, server-key.pem to DIR and exit")
	dataDir := flag.String("data-dir", "", "directory for datastore files (default: a new directory in /dev/shm, else in $TMPDIR)")
	watchStdin := flag.Bool("watch-stdin", false, "exit when stdin closes (so the process dies with its parent)")
	verbose := flag.Bool("verbose", false, "log simulator messages to stderr")
	exitWhenReady := flag.Bool("exit-when-ready", false, "exit right after the ready line (to measure start time)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the inventory build to FILE")
	flag.Parse()

	if *genCertsDir != "" {
		return genCerts(*genCertsDir)
	}
	if *modelPath == "" || *certFile == "" || *keyFile == "" {
		return fmt.Errorf("--model, --cert and --key are required (or --gen-certs DIR)")
	}
	if !*verbose {
		log.SetOutput(io.Discard)
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		return fmt.Errorf("load certificate: %w", err)
	}
	model, err := loadModel(*modelPath)
	if err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		if dir, err = scratchDir(); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	started := time.Now()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	// The build allocates a lot of short-lived garbage (reflection in the simulator); collecting
	// less often during it saves about a fifth of the large lab's start time.
	gc := debug.SetGCPercent(400)
	lab, sm, err := buildInventory(model, dir)
	debug.SetGCPercent(gc)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return fmt.Errorf("build inventory: %w", err)
	}
	lab.timing.set(timeScale, nil)
	install()

	sm.Service.RegisterSDK(simulator.Map)
	mux := http.NewServeMux()
	mux.Handle("/sdk", lab.serveSDK(sm.Service, lab.sdkHandlers()))
	mux.HandleFunc("/sdk/vimServiceVersions.xml", sm.Service.ServiceVersions)
	mux.Handle("/lab/", lab.controlHandler())

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second,
		// Panics in handlers are recovered by net/http and reported here, in the vcsim log.
		ErrorLog: log.New(os.Stderr, "vcsim http: ", log.LstdFlags),
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	port := ln.Addr().(*net.TCPAddr).Port
	// SessionManager.Login reads Listen (set by the simulator's NewServer, which the lab does not
	// use); without credentials in it, any user name and password log in.
	sm.Service.Listen = &url.URL{Scheme: "https", Host: ln.Addr().String(), Path: "/sdk"}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(tlsLn) }()

	ready, _ := json.Marshal(map[string]interface{}{
		"url":     fmt.Sprintf("https://127.0.0.1:%d/sdk", port),
		"control": fmt.Sprintf("https://127.0.0.1:%d/lab", port),
		"pid":     os.Getpid(),
	})
	fmt.Println(string(ready))
	fmt.Fprintf(os.Stderr, "vcsim: %d hosts, %d datastores, %d VMs ready in %s\n",
		len(model.Hosts), len(model.Datastores), len(model.Vms), time.Since(started).Round(time.Millisecond))

	if *exitWhenReady {
		_ = srv.Close()
		return nil
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	stdinClosed := make(chan struct{})
	if *watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(stdinClosed)
		}()
	}
	select {
	case <-stop:
	case <-stdinClosed:
	case err := <-serveErr:
		return err
	}
	_ = srv.Close()
	return nil
}

// install swaps in the lab's PropertyCollector and the task error fixer.
func install() {
	content := simulator.Map.Get(types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}).(*simulator.ServiceInstance).Content
	pc := &LabPropertyCollector{}
	pc.Self = content.PropertyCollector
	simulator.Map.Put(pc)
	simulator.Map.AddHandler(taskErrorFixer{})
}

const scratchPrefix = "bascule-vcsim-"

// scratchDir makes the directory holding the datastores' files. The simulator creates several
// files per VM (vmx, nvram, log, disks); on tmpfs the large lab starts several times faster than
// on ext4. Directories left by vcsim processes that died without cleaning up are removed.
func scratchDir() (string, error) {
	base := os.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		base = "/dev/shm"
	}
	if entries, err := os.ReadDir(base); err == nil {
		for _, e := range entries {
			var pid int
			if _, err := fmt.Sscanf(e.Name(), scratchPrefix+"%d-", &pid); err != nil || pid <= 0 {
				continue
			}
			if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
				_ = os.RemoveAll(filepath.Join(base, e.Name()))
			}
		}
	}
	return os.MkdirTemp(base, fmt.Sprintf("%s%d-", scratchPrefix, os.Getpid()))
}
