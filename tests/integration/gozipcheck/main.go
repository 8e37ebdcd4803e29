// Command gozipcheck opens zips with Go's archive/zip, reads every entry fully
// (checking CRCs) and prints one JSON line per archive with each entry's name and mode.
package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

type entry struct {
	Name    string `json:"name"`
	Mode    string `json:"mode"`
	Size    int64  `json:"size"`
	Method  uint16 `json:"method"`
	Regular bool   `json:"regular"`
}

func check(path string) ([]entry, error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []entry
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, entry{f.Name, fmt.Sprintf("%#o", uint32(f.Mode().Perm())), n, f.Method, f.Mode().IsRegular()})
	}
	return out, nil
}

func main() {
	for _, path := range os.Args[1:] {
		entries, err := check(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(1)
		}
		line, _ := json.Marshal(map[string]any{"path": path, "entries": entries})
		fmt.Println(string(line))
	}
}
