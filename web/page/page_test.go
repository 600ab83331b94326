package page

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandler(t *testing.T) {
	files := fstest.MapFS{
		"static/index.html": {Data: []byte(`<html><link rel="stylesheet" href="style.css"><script src="app.js"></script></html>`)},
		"static/style.css":  {Data: []byte("b{}")},
		"static/app.js":     {Data: []byte("x=1")},
	}
	h := Handler(Config{Name: "t", Files: files, Permissions: "microphone=()"})
	tests := []struct {
		name, method, path string
		code               int
	}{
		{"page", "GET", "/", 200},
		{"any path", "GET", "/admin/x", 200},
		{"head", "HEAD", "/", 200},
		{"favicon", "GET", "/favicon.ico", 404},
		{"post", "POST", "/", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.code {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.code)
			}
			if tt.code != http.StatusOK {
				return
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'sha256-") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
			want := "<html><style>b{}</style><script>" + string(sharedJS) + "\nx=1</script></html>"
			if tt.method == "GET" && rec.Body.String() != want {
				t.Errorf("body %q, want the shared client then the page's script inlined", rec.Body.String())
			}
		})
	}
}

func TestHandlerScripts(t *testing.T) {
	files := fstest.MapFS{
		"static/index.html":    {Data: []byte(`<link rel="stylesheet" href="style.css"><script src="app.js"></script>`)},
		"static/style.css":     {Data: []byte("b{}")},
		"static/app.js":        {Data: []byte("x=1")},
		"static/sections/a.js": {Data: []byte("a=2")},
		"static/sections/b.js": {Data: []byte("b=3")},
	}
	h := Handler(Config{Name: "t", Files: files, Scripts: []string{"sections/b.js", "sections/a.js"}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	want := "<style>b{}</style><script>" + string(sharedJS) + "\nx=1\nb=3\na=2</script>"
	if rec.Body.String() != want {
		t.Errorf("body %q, want app.js then the scripts in the listed order", rec.Body.String())
	}
}
