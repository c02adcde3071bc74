package toolsurface

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// schema is the part of a JSON Schema the classifier understands. Keywords it does not
// (anyOf, $ref, …) are compared as raw JSON and any change to them counts as breaking:
// better a question than a silent break.
type schema struct {
	Type                 json.RawMessage            `json:"type"`
	Description          string                     `json:"description"`
	Properties           map[string]json.RawMessage `json:"properties"`
	Required             []string                   `json:"required"`
	Items                json.RawMessage            `json:"items"`
	Enum                 []any                      `json:"enum"`
	Default              json.RawMessage            `json:"default"`
	AdditionalProperties json.RawMessage            `json:"additionalProperties"`
	Pattern              string                     `json:"pattern"`

	Minimum          *float64 `json:"minimum"`
	Maximum          *float64 `json:"maximum"`
	ExclusiveMinimum *float64 `json:"exclusiveMinimum"`
	ExclusiveMaximum *float64 `json:"exclusiveMaximum"`
	MinLength        *float64 `json:"minLength"`
	MaxLength        *float64 `json:"maxLength"`
	MinItems         *float64 `json:"minItems"`
	MaxItems         *float64 `json:"maxItems"`

	AnyOf json.RawMessage `json:"anyOf"`
	OneOf json.RawMessage `json:"oneOf"`
	AllOf json.RawMessage `json:"allOf"`
	Not   json.RawMessage `json:"not"`
	Ref   json.RawMessage `json:"$ref"`
	Defs  json.RawMessage `json:"$defs"`
	Const json.RawMessage `json:"const"`
}

type comparer struct {
	tool    string
	changes []Change
}

func (c *comparer) add(where, kind, detail string, breaking bool) {
	c.changes = append(c.changes, Change{Tool: c.tool, Kind: kind, Where: where, Detail: detail, Breaking: breaking})
}

func present(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// schemaPair compares a tool's input or output schema. input says which way data flows.
func (c *comparer) schemaPair(where string, o, n json.RawMessage, input bool) {
	switch {
	case !present(o) && !present(n):
	case !present(o):
		c.add(where, SchemaAdded, "schema declared", false)
	case !present(n):
		if input {
			c.add(where, SchemaRemoved, "input schema removed", true)
		} else {
			c.add(where, SchemaRemoved, "output schema removed; clients reading structured content lose its shape", true)
		}
	default:
		c.compare(where, o, n, input)
	}
}

func (c *comparer) compare(where string, oRaw, nRaw json.RawMessage, input bool) {
	var o, n schema
	if json.Unmarshal(oRaw, &o) != nil || json.Unmarshal(nRaw, &n) != nil {
		if !jsonEqual(oRaw, nRaw) {
			c.add(where, SchemaChanged, "schema changed in a way mcpctl cannot classify; check it by hand", true)
		}
		return
	}
	// narrow/widen report a change that restricts/relaxes what the schema accepts:
	// breaking for inputs and outputs respectively.
	narrow := func(kind, detail string) { c.add(where, kind, detail, input) }
	widen := func(kind, detail string) { c.add(where, kind, detail, !input) }

	c.types(where, o, n, input)
	enums(o.Enum, n.Enum, narrow, widen)
	for _, b := range []struct {
		name string
		o, n *float64
		low  bool // a lower bound: raising it narrows
	}{
		{"minimum", o.Minimum, n.Minimum, true},
		{"exclusiveMinimum", o.ExclusiveMinimum, n.ExclusiveMinimum, true},
		{"minLength", o.MinLength, n.MinLength, true},
		{"minItems", o.MinItems, n.MinItems, true},
		{"maximum", o.Maximum, n.Maximum, false},
		{"exclusiveMaximum", o.ExclusiveMaximum, n.ExclusiveMaximum, false},
		{"maxLength", o.MaxLength, n.MaxLength, false},
		{"maxItems", o.MaxItems, n.MaxItems, false},
	} {
		bound(b.name, b.o, b.n, b.low, narrow, widen)
	}
	switch {
	case o.Pattern == n.Pattern:
	case n.Pattern == "":
		widen(PatternChanged, fmt.Sprintf("pattern %q removed", o.Pattern))
	case o.Pattern == "":
		narrow(PatternChanged, fmt.Sprintf("pattern %q added", n.Pattern))
	default:
		c.add(where, PatternChanged, fmt.Sprintf("pattern %q → %q", o.Pattern, n.Pattern), true)
	}
	if oa, na := refusesExtra(o.AdditionalProperties), refusesExtra(n.AdditionalProperties); oa != na {
		if na {
			narrow(ExtraNarrowed, "properties not listed are now refused")
		} else {
			widen(ExtraWidened, "properties not listed are now allowed")
		}
	}
	if !jsonEqual(o.Default, n.Default) {
		c.add(where, DefaultChanged, fmt.Sprintf("default %s → %s", orNone(o.Default), orNone(n.Default)), false)
	}
	if o.Description != n.Description && where != "input" && where != "output" {
		c.add(where, DescriptionChanged, "description changed", false)
	}
	for _, k := range []struct {
		name string
		o, n json.RawMessage
	}{{"anyOf", o.AnyOf, n.AnyOf}, {"oneOf", o.OneOf, n.OneOf}, {"allOf", o.AllOf, n.AllOf}, {"not", o.Not, n.Not}, {"$ref", o.Ref, n.Ref}, {"$defs", o.Defs, n.Defs}, {"const", o.Const, n.Const}} {
		if !jsonEqual(k.o, k.n) {
			c.add(where, SchemaChanged, k.name+" changed; mcpctl cannot classify it, check it by hand", true)
		}
	}
	c.properties(where, o, n, input)
	switch {
	case present(o.Items) && present(n.Items):
		c.compare(where+"[]", o.Items, n.Items, input)
	case present(o.Items) != present(n.Items):
		c.add(where+"[]", SchemaChanged, "items schema added or removed; check it by hand", true)
	}
}

func (c *comparer) properties(where string, o, n schema, input bool) {
	oReq, nReq := setOf(o.Required), setOf(n.Required)
	for _, p := range unionKeys(o.Properties, n.Properties) {
		at := where + "." + p
		op, inOld := o.Properties[p]
		np, inNew := n.Properties[p]
		switch {
		case !inOld && input && nReq[p]:
			c.add(at, PropertyAdded, "new required argument; existing callers do not send it", true)
		case !inOld && input:
			c.add(at, PropertyAdded, "new optional argument", false)
		case !inOld:
			c.add(at, PropertyAdded, "new field in the result", false)
		case !inNew && input:
			c.add(at, PropertyRemoved, "argument removed; callers still sending it are refused", true)
		case !inNew:
			c.add(at, PropertyRemoved, "field removed from the result; clients reading it break", true)
		default:
			switch {
			case !oReq[p] && nReq[p] && input:
				c.add(at, RequiredAdded, "argument is now required", true)
			case !oReq[p] && nReq[p]:
				c.add(at, RequiredAdded, "field is now always present", false)
			case oReq[p] && !nReq[p] && input:
				c.add(at, RequiredRemoved, "argument is now optional", false)
			case oReq[p] && !nReq[p]:
				c.add(at, RequiredRemoved, "field may now be absent; clients expecting it break", true)
			}
			c.compare(at, op, np, input)
		}
	}
}

func (c *comparer) types(where string, o, n schema, input bool) {
	ot, nt := typeSet(o.Type), typeSet(n.Type)
	lost := !covers(nt, ot) // some value the old type allowed is refused now
	gained := !covers(ot, nt)
	desc := fmt.Sprintf("type %s → %s", typeName(ot), typeName(nt))
	switch {
	case lost && gained:
		c.add(where, TypeChanged, desc, true)
	case lost:
		c.add(where, TypeNarrowed, desc, input)
	case gained:
		c.add(where, TypeWidened, desc, !input)
	}
}

// typeSet is a schema's "type" as a set; nil means any type.
func typeSet(raw json.RawMessage) []string {
	if !present(raw) {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	slices.Sort(many)
	return many
}

// covers reports whether every type in b is accepted by a (integers are numbers).
func covers(a, b []string) bool {
	if a == nil {
		return true
	}
	if b == nil {
		return false
	}
	for _, t := range b {
		if !slices.Contains(a, t) && !(t == "integer" && slices.Contains(a, "number")) {
			return false
		}
	}
	return true
}

func typeName(ts []string) string {
	if ts == nil {
		return "any"
	}
	return strings.Join(ts, "|")
}

func enums(o, n []any, narrow, widen func(kind, detail string)) {
	switch {
	case o == nil && n == nil:
	case o == nil:
		narrow(EnumNarrowed, "now limited to "+values(n))
	case n == nil:
		widen(EnumWidened, "no longer limited to "+values(o))
	default:
		removed, added := minus(o, n), minus(n, o)
		if len(removed) > 0 {
			narrow(EnumNarrowed, "no longer accepts "+values(removed))
		}
		if len(added) > 0 {
			widen(EnumWidened, "now also "+values(added))
		}
	}
}

func minus(a, b []any) []any {
	var out []any
	for _, v := range a {
		if !slices.ContainsFunc(b, func(w any) bool { return compact(v) == compact(w) }) {
			out = append(out, v)
		}
	}
	return out
}

func values(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = compact(v)
	}
	return strings.Join(s, ", ")
}

func bound(name string, o, n *float64, low bool, narrow, widen func(kind, detail string)) {
	switch {
	case o == nil && n == nil:
	case o == nil:
		narrow(BoundNarrowed, fmt.Sprintf("%s %v set", name, *n))
	case n == nil:
		widen(BoundWidened, fmt.Sprintf("%s %v removed", name, *o))
	case *o == *n:
	case (*n > *o) == low:
		narrow(BoundNarrowed, fmt.Sprintf("%s %v → %v", name, *o, *n))
	default:
		widen(BoundWidened, fmt.Sprintf("%s %v → %v", name, *o, *n))
	}
}

// refusesExtra: additionalProperties is false (or the equivalent {"not": {}}).
func refusesExtra(raw json.RawMessage) bool {
	t := string(bytes.Join(bytes.Fields(raw), nil))
	return t == "false" || t == `{"not":{}}`
}

func setOf(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func orNone(raw json.RawMessage) string {
	if !present(raw) {
		return "none"
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	return compact(v)
}
