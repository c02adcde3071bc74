package config

import (
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// keyLines maps each dotted key of a TOML document to the line it is defined on, so
// that validation errors can point at it. BurntSushi/toml, which decodes the file, does
// not keep positions.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	p := unstable.Parser{}
	p.Reset(data)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(e)
			lines[strings.Join(table, ".")] = lineOf(&p, e)
		case unstable.KeyValue:
			full := append(append([]string{}, table...), keyParts(e)...)
			lines[strings.Join(full, ".")] = lineOf(&p, e)
		}
	}
	return lines
}

func keyParts(n *unstable.Node) []string {
	var parts []string
	it := n.Key()
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func lineOf(p *unstable.Parser, n *unstable.Node) int {
	it := n.Key()
	if !it.Next() {
		return 0
	}
	return p.Shape(it.Node().Raw).Start.Line
}
