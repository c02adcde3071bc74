package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/mcpctl/mcpctl/atomicfile"
)

// SetString sets key in table (dotted, such as "deploy.heroku") of the project file in
// dir to value. Only that value's bytes change: comments, order and formatting of the
// rest of the file survive. The result must still be a valid project file, and it is
// written atomically.
func SetString(dir, table, key, value string) error {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	out, err := setString(data, table, key, value)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(out, data) {
		return nil
	}
	if _, err := Parse(path, out); err != nil {
		return fmt.Errorf("not changing %s: the edit would make it invalid: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out, st.Mode().Perm())
}

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
