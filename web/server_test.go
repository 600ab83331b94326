package web

import (
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
)

func startServer(t *testing.T) (*Server, string) {
	t.Helper()
	s := New(Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Go(func() { errc <- s.Run(t.Context()) })
	t.Cleanup(func() {
		s.Shutdown()
		wg.Wait()
		if err := <-errc; err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	})
	<-s.Ready()
	if s.Addr() == nil {
		t.Fatal("server did not bind")
	}
	return s, "http://" + s.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestHealthz(t *testing.T) {
	s, base := startServer(t)
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\"", code, body)
	}
	s.SetDraining(true)
	if code, _ := get(t, base+"/healthz"); code != 503 {
		t.Errorf("GET /healthz while draining = %d, want 503", code)
	}
	s.SetDraining(false)
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("GET /healthz after draining = %d, want 200", code)
	}
}

func TestHandleAndShutdownHook(t *testing.T) {
	s, base := startServer(t)
	s.Handle("GET /hello", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hi") }))
	hooked := make(chan struct{})
	s.RegisterOnShutdown(func() { close(hooked) })
	if code, body := get(t, base+"/hello"); code != 200 || body != "hi" {
		t.Errorf("GET /hello = %d %q, want 200 \"hi\"", code, body)
	}
	if code, _ := get(t, base+"/nope"); code != 404 {
		t.Errorf("GET /nope = %d, want 404", code)
	}
	s.Shutdown()
	s.Shutdown() // idempotent
	select {
	case <-hooked:
	case <-t.Context().Done():
		t.Fatal("shutdown hook not run")
	}
}

func TestRunBadAddr(t *testing.T) {
	s := New(Config{Addr: "127.0.0.1:notaport", Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err := s.Run(t.Context()); err == nil {
		t.Error("Run with bad addr = nil, want error")
	}
}
