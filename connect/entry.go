package connect

import (
	"bytes"
	"encoding/json"
)

// obj is a JSON object whose members keep the order they are written in, so that a new
// entry reads the way each client documents it (type, url, headers).
type obj []member

type member struct {
	key string
	val any // string, bool, []string, obj, []obj, absent or ifMissing
}

// absent marks a member that must not be there, such as x-api-key for an OAuth server
// or a key left in Claude Desktop's env by an earlier run.
type absent struct{}

// ifMissing marks a value written only when the member does not exist yet, so a user's
// own edit of it wins.
type ifMissing struct{ val any }

// empty reports whether the object would render as nothing: every member is absent.
func (o obj) empty() bool {
	for _, m := range o {
		if !isAbsent(m.val) {
			return false
		}
	}
	return true
}

func isAbsent(v any) bool {
	switch v := v.(type) {
	case absent:
		return true
	case obj:
		return v.empty()
	}
	return false
}

func (o obj) get(key string) (any, bool) {
	for _, m := range o {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

// MarshalJSON writes the members in order, leaving out absent ones.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, m := range o {
		if isAbsent(m.val) {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, err := marshal(m.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		val := m.val
		if im, ok := val.(ifMissing); ok {
			val = im.val
		}
		v, err := marshal(val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping: URLs keep their '&' readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// render formats v as it will appear in a file: indented with unit, every line after the
// first starting with prefix, or compact when unit is empty.
func render(v any, prefix, unit, newline string) ([]byte, error) {
	raw, err := marshal(v)
	if err != nil {
		return nil, err
	}
	if unit == "" {
		return raw, nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, prefix, unit); err != nil {
		return nil, err
	}
	out := b.Bytes()
	if newline != "\n" {
		out = bytes.ReplaceAll(out, []byte("\n"), []byte(newline))
	}
	return out, nil
}
