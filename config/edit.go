package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/mcpctl/mcpctl/internal/atomicfile"
)

// SetString sets key in table (dotted, such as "deploy.heroku") of the project file in
// dir to value. Only that value's bytes change: comments, order and formatting of the
// rest of the file survive, a UTF-8 byte order mark included. The result must still be a
// valid project file, and it is written atomically.
func SetString(dir, table, key, value string) error {
	path, data, out, err := edit(dir, table, key, value)
	if err != nil || bytes.Equal(out, data) {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out, st.Mode().Perm())
}

// CheckSetString reports whether SetString would succeed, changing nothing: a command
// that must record something afterwards (deploy, the app it creates) asks first.
func CheckSetString(dir, table, key, value string) error {
	_, _, _, err := edit(dir, table, key, value)
	return err
}

func edit(dir, table, key, value string) (path string, data, out []byte, err error) {
	path = filepath.Join(dir, FileName)
	data, err = os.ReadFile(path)
	if err != nil {
		return path, nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	// Read and edited like every other reader: without the BOM, which is put back.
	body, bom := bytes.CutPrefix(data, utf8BOM)
	out, err = setString(body, table, key, value)
	if err != nil {
		return path, data, nil, fmt.Errorf("%s: %w", path, err)
	}
	if bom {
		out = append(slices.Clone(utf8BOM), out...)
	}
	if _, err := Parse(path, out); err != nil {
		return path, data, nil, fmt.Errorf("not changing %s: the edit would make it invalid: %w", path, err)
	}
	return path, data, out, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func setString(data []byte, table, key, value string) ([]byte, error) {
	if strings.ContainsAny(value, "\x00\n\r") {
		return nil, fmt.Errorf("%s.%s: the value may not contain control characters", table, key)
	}
	quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`

	p := unstable.Parser{}
	p.Reset(data)
	var current string
	tableEnd := -1 // offset just past the last line that belongs to table
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			current = strings.Join(keyParts(e), ".")
			if current == table {
				tableEnd = lineEnd(data, int(keyRaw(e).Offset))
			}
		case unstable.KeyValue:
			if current != table {
				continue
			}
			if strings.Join(keyParts(e), ".") == key {
				v := e.Value().Raw
				start, end := int(v.Offset), int(v.Offset+v.Length)
				return append(append(append([]byte{}, data[:start]...), quoted...), data[end:]...), nil
			}
			tableEnd = lineEnd(data, int(keyRaw(e).Offset))
		}
	}
	if err := p.Error(); err != nil {
		return nil, err
	}
	line := key + " = " + quoted + "\n"
	if tableEnd >= 0 {
		return append(append(append([]byte{}, data[:tableEnd]...), line...), data[tableEnd:]...), nil
	}
	out := append([]byte{}, data...)
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	return append(out, "\n["+table+"]\n"+line...), nil
}

func keyRaw(n *unstable.Node) unstable.Range {
	it := n.Key()
	it.Next()
	return it.Node().Raw
}

// lineEnd returns the offset just past the newline that ends the line holding offset.
func lineEnd(data []byte, offset int) int {
	if i := bytes.IndexByte(data[offset:], '\n'); i >= 0 {
		return offset + i + 1
	}
	return len(data)
}
