// Command diffbench is the large function bench/bench_diff.py builds twice, with one small
// change to handler, to time `gobuild diff` on two zips of about 10 MB. It is an HTTP service
// that answers JSON and pulls in much of the standard library, as large functions do.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"debug/buildinfo"
	"debug/dwarf"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/asn1"
	"encoding/base32"
	"encoding/csv"
	"encoding/gob"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"expvar"
	"fmt"
	"go/build"
	"go/doc"
	"go/format"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	htmltemplate "html/template"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"index/suffixarray"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/http/cgi"
	"net/http/cookiejar"
	"net/http/fcgi"
	"net/http/httptest"
	"net/http/httputil"
	"net/http/pprof"
	"net/mail"
	"net/rpc"
	"net/rpc/jsonrpc"
	"net/smtp"
	"os"
	"os/exec"
	"regexp"
	"runtime/trace"
	"testing"
	"text/tabwriter"
	texttemplate "text/template"
	_ "time/tzdata"
)

var version = "dev"

// Reply is what handler answers.
type Reply struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Status  int    `json:"status"`
}

func handler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("fail") != "" {
		http.Error(w, "failing as asked", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Reply{Path: r.URL.Path, Version: version, Status: http.StatusOK})
}

// touch keeps a little of each package so the linker keeps its code.
func touch() {
	_ = tar.NewReader(os.Stdin)
	_, _ = zip.OpenReader("x.zip")
	_ = bzip2.NewReader(os.Stdin)
	_, _ = gzip.NewReader(os.Stdin)
	_, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, _, _ = ed25519.GenerateKey(rand.Reader)
	_, _ = rsa.GenerateKey(rand.Reader, 2048)
	_, _ = tls.Dial("tcp", "localhost:1", nil)
	_, _ = x509.SystemCertPool()
	_, _ = sql.Open("none", "")
	_, _ = buildinfo.ReadFile(os.Args[0])
	_ = dwarf.ErrUnknownPC
	_, _ = elf.Open("x")
	_, _ = gosym.NewTable(nil, nil)
	_, _ = macho.Open("x")
	_, _ = pe.Open("x")
	_, _ = asn1.Marshal(1)
	_ = base32.StdEncoding.EncodeToString(nil)
	_, _ = csv.NewReader(os.Stdin).Read()
	_ = gob.NewEncoder(os.Stdout).Encode(1)
	_, _ = pem.Decode(nil)
	_ = xml.NewEncoder(os.Stdout).Encode(1)
	expvar.NewInt("requests").Add(1)
	_, _ = build.Default.Import("x", ".", 0)
	_ = doc.New
	_, _ = format.Source(nil)
	fset := token.NewFileSet()
	file, _ := parser.ParseFile(fset, "x.go", "package x", 0)
	_ = printer.Fprint(os.Stdout, fset, file)
	conf := types.Config{Importer: importer.Default()}
	_, _ = conf.Check("x", fset, nil, nil)
	_ = htmltemplate.Must(htmltemplate.New("x").Parse("<p>{{.}}</p>"))
	_ = texttemplate.Must(texttemplate.New("x").Parse("{{.}}"))
	var canvas draw.Image
	if canvas != nil {
		draw.Draw(canvas, canvas.Bounds(), canvas, canvas.Bounds().Min, draw.Src)
	}
	_, _ = gif.Decode(os.Stdin)
	_, _ = jpeg.Decode(os.Stdin)
	_, _ = png.Decode(os.Stdin)
	_ = suffixarray.New(nil)
	fmt.Println(new(big.Int).Exp(big.NewInt(2), big.NewInt(100), nil))
	_ = multipart.NewWriter(os.Stdout)
	_ = cgi.Serve(nil)
	_, _ = cookiejar.New(nil)
	_ = fcgi.Serve(nil, nil)
	_ = httptest.NewRecorder()
	_ = httputil.NewSingleHostReverseProxy(nil)
	_, _ = mail.ReadMessage(os.Stdin)
	_, _ = rpc.Dial("tcp", "localhost:1")
	_, _ = jsonrpc.Dial("tcp", "localhost:1")
	_ = smtp.SendMail("localhost:1", nil, "a", nil, nil)
	_ = exec.Command("true").Run()
	_ = regexp.MustCompile(`^/(\w+)$`)
	_ = trace.Start(os.Stdout)
	_ = testing.Benchmark(func(b *testing.B) {})
	_ = tabwriter.NewWriter(os.Stdout, 0, 8, 1, ' ', 0).Flush()
}

func main() {
	slog.Info("starting", "version", version)
	if len(os.Args) > 1 && os.Args[1] == "touch" {
		touch()
	}
	http.HandleFunc("/debug/pprof/", pprof.Index)
	http.HandleFunc("/", handler)
	fmt.Println(http.ListenAndServe(":8080", nil))
}
