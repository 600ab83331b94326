package page

import (
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"switchboard/web/page/pagetest"
)

func TestHandler(t *testing.T) {
	files := fstest.MapFS{
		"static/index.html": {Data: []byte("<main>m</main>\n")},
		"static/style.css":  {Data: []byte("b{}")},
		"static/app.js":     {Data: []byte("x=1")},
	}
	h := Handler(Config{Name: "t", Title: "A & B", Files: files})
	body := pagetest.Serves(t, h, []string{"/", "/admin/x"})
	want := doc("A &amp; B", "b{}", "<main>m</main>\n", string(sharedJS)+"\nx=1")
	if body != want {
		t.Errorf("body %q,\nwant %q: the document around index.html, the shared client then the page's script inlined", body, want)
	}
}

// doc is the document page writes around body.
func doc(title, css, body, js string) string {
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + title + `</title>
<link rel="icon" href="data:,">
<style>` + css + `</style>
</head>
<body>
` + body + `<script>` + js + `</script>
</body>
</html>
`
}

func TestHandlerScripts(t *testing.T) {
	files := fstest.MapFS{
		"static/index.html":    {Data: []byte("<p>\n")},
		"static/style.css":     {Data: []byte("b{}")},
		"static/app.js":        {Data: []byte("x=1")},
		"static/sections/a.js": {Data: []byte("a=2")},
		"static/sections/b.js": {Data: []byte("b=3")},
	}
	h := Handler(Config{Name: "t", Title: "t", Files: files, Scripts: []string{"sections/b.js", "sections/a.js"}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	want := doc("t", "b{}", "<p>\n", string(sharedJS)+"\nx=1\nb=3\na=2")
	if rec.Body.String() != want {
		t.Errorf("body %q, want app.js then the scripts in the listed order", rec.Body.String())
	}
}

// TestWholeDocumentRefused: an index.html that is a whole document (the
// form before page wrote the document) is a programmer error.
func TestWholeDocumentRefused(t *testing.T) {
	files := fstest.MapFS{
		"static/index.html": {Data: []byte(`<html><body><script src="app.js"></script></body></html>`)},
		"static/style.css":  {Data: []byte("b{}")},
		"static/app.js":     {Data: []byte("x=1")},
	}
	defer func() {
		if recover() == nil {
			t.Error("a whole document as index.html did not panic")
		}
	}()
	Handler(Config{Name: "t", Files: files}).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
