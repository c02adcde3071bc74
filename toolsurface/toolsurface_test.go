package toolsurface

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// tool builds a tool with the given input schema (JSON); output schema optional.
func tool(name, in string, out ...string) Tool {
	t := Tool{Name: name, InputSchema: json.RawMessage(in)}
	if len(out) > 0 {
		t.OutputSchema = json.RawMessage(out[0])
	}
	return t
}

const hello = `{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}`

func obj(props string, required ...string) string {
	req, _ := json.Marshal(required)
	if required == nil {
		req = []byte("[]")
	}
	return `{"type":"object","properties":{` + props + `},"required":` + string(req) + `}`
}

func TestCompareEveryKind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		old, new []Tool
		kind     string
		where    string
		breaking bool
	}{
		{"tool added", nil, []Tool{tool("a", hello)}, ToolAdded, "", false},
		{"tool removed", []Tool{tool("a", hello)}, nil, ToolRemoved, "", true},
		{"title", []Tool{{Name: "a", Title: "A", InputSchema: json.RawMessage(hello)}}, []Tool{{Name: "a", Title: "Aa", InputSchema: json.RawMessage(hello)}}, TitleChanged, "", false},
		{"description", []Tool{{Name: "a", Description: "x", InputSchema: json.RawMessage(hello)}}, []Tool{{Name: "a", Description: "y", InputSchema: json.RawMessage(hello)}}, DescriptionChanged, "", false},
		{"annotations", []Tool{{Name: "a", InputSchema: json.RawMessage(hello), Annotations: json.RawMessage(`{"readOnlyHint":true}`)}},
			[]Tool{{Name: "a", InputSchema: json.RawMessage(hello), Annotations: json.RawMessage(`{"readOnlyHint":false}`)}}, AnnotationsChanged, "", false},

		{"optional argument added", []Tool{tool("a", obj(`"x":{"type":"string"}`))}, []Tool{tool("a", obj(`"x":{"type":"string"},"y":{"type":"string"}`))}, PropertyAdded, "input.y", false},
		{"required argument added", []Tool{tool("a", obj(`"x":{"type":"string"}`))}, []Tool{tool("a", obj(`"x":{"type":"string"},"y":{"type":"string"}`, "y"))}, PropertyAdded, "input.y", true},
		{"argument removed", []Tool{tool("a", obj(`"x":{"type":"string"},"y":{"type":"string"}`))}, []Tool{tool("a", obj(`"x":{"type":"string"}`))}, PropertyRemoved, "input.y", true},
		{"argument now required", []Tool{tool("a", obj(`"x":{"type":"string"}`))}, []Tool{tool("a", obj(`"x":{"type":"string"}`, "x"))}, RequiredAdded, "input.x", true},
		{"argument now optional", []Tool{tool("a", obj(`"x":{"type":"string"}`, "x"))}, []Tool{tool("a", obj(`"x":{"type":"string"}`))}, RequiredRemoved, "input.x", false},
		{"input type narrowed", []Tool{tool("a", obj(`"n":{"type":"number"}`))}, []Tool{tool("a", obj(`"n":{"type":"integer"}`))}, TypeNarrowed, "input.n", true},
		{"input type widened", []Tool{tool("a", obj(`"n":{"type":"integer"}`))}, []Tool{tool("a", obj(`"n":{"type":"number"}`))}, TypeWidened, "input.n", false},
		{"input type made nullable", []Tool{tool("a", obj(`"n":{"type":"string"}`))}, []Tool{tool("a", obj(`"n":{"type":["null","string"]}`))}, TypeWidened, "input.n", false},
		{"input type changed", []Tool{tool("a", obj(`"n":{"type":"string"}`))}, []Tool{tool("a", obj(`"n":{"type":"boolean"}`))}, TypeChanged, "input.n", true},
		{"input enum narrowed", []Tool{tool("a", obj(`"u":{"type":"string","enum":["c","f"]}`))}, []Tool{tool("a", obj(`"u":{"type":"string","enum":["c"]}`))}, EnumNarrowed, "input.u", true},
		{"input enum introduced", []Tool{tool("a", obj(`"u":{"type":"string"}`))}, []Tool{tool("a", obj(`"u":{"type":"string","enum":["c"]}`))}, EnumNarrowed, "input.u", true},
		{"input enum widened", []Tool{tool("a", obj(`"u":{"type":"string","enum":["c"]}`))}, []Tool{tool("a", obj(`"u":{"type":"string","enum":["c","f"]}`))}, EnumWidened, "input.u", false},
		{"input bound narrowed", []Tool{tool("a", obj(`"n":{"type":"integer","maximum":10}`))}, []Tool{tool("a", obj(`"n":{"type":"integer","maximum":5}`))}, BoundNarrowed, "input.n", true},
		{"input bound set", []Tool{tool("a", obj(`"s":{"type":"string"}`))}, []Tool{tool("a", obj(`"s":{"type":"string","minLength":3}`))}, BoundNarrowed, "input.s", true},
		{"input bound widened", []Tool{tool("a", obj(`"n":{"type":"integer","minimum":1}`))}, []Tool{tool("a", obj(`"n":{"type":"integer","minimum":0}`))}, BoundWidened, "input.n", false},
		{"input pattern added", []Tool{tool("a", obj(`"s":{"type":"string"}`))}, []Tool{tool("a", obj(`"s":{"type":"string","pattern":"^a"}`))}, PatternChanged, "input.s", true},
		{"input pattern removed", []Tool{tool("a", obj(`"s":{"type":"string","pattern":"^a"}`))}, []Tool{tool("a", obj(`"s":{"type":"string"}`))}, PatternChanged, "input.s", false},
		{"extra properties refused", []Tool{tool("a", `{"type":"object"}`)}, []Tool{tool("a", `{"type":"object","additionalProperties":false}`)}, ExtraNarrowed, "input", true},
		{"extra properties allowed", []Tool{tool("a", `{"type":"object","additionalProperties":false}`)}, []Tool{tool("a", `{"type":"object"}`)}, ExtraWidened, "input", false},
		{"default changed", []Tool{tool("a", obj(`"u":{"type":"string","default":"c"}`))}, []Tool{tool("a", obj(`"u":{"type":"string","default":"f"}`))}, DefaultChanged, "input.u", false},
		{"property description", []Tool{tool("a", obj(`"u":{"type":"string","description":"x"}`))}, []Tool{tool("a", obj(`"u":{"type":"string","description":"y"}`))}, DescriptionChanged, "input.u", false},
		{"unclassifiable keyword", []Tool{tool("a", obj(`"u":{"anyOf":[{"type":"string"}]}`))}, []Tool{tool("a", obj(`"u":{"anyOf":[{"type":"integer"}]}`))}, SchemaChanged, "input.u", true},

		{"nested required argument added", []Tool{tool("a", obj(`"addr":`+obj(`"city":{"type":"string"}`)))}, []Tool{tool("a", obj(`"addr":`+obj(`"city":{"type":"string"},"zip":{"type":"string"}`, "zip")))}, PropertyAdded, "input.addr.zip", true},
		{"array item type narrowed", []Tool{tool("a", obj(`"tags":{"type":"array","items":{"type":["null","string"]}}`))}, []Tool{tool("a", obj(`"tags":{"type":"array","items":{"type":"string"}}`))}, TypeNarrowed, "input.tags[]", true},
		{"array of objects: field removed", []Tool{tool("a", obj(`"xs":{"type":"array","items":`+obj(`"a":{"type":"string"},"b":{"type":"string"}`)+`}`))}, []Tool{tool("a", obj(`"xs":{"type":"array","items":`+obj(`"a":{"type":"string"}`)+`}`))}, PropertyRemoved, "input.xs[].b", true},

		{"output schema added", []Tool{tool("a", hello)}, []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, SchemaAdded, "output", false},
		{"output schema removed", []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, []Tool{tool("a", hello)}, SchemaRemoved, "output", true},
		{"output field added", []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, []Tool{tool("a", hello, obj(`"t":{"type":"number"},"u":{"type":"string"}`))}, PropertyAdded, "output.u", false},
		{"output field removed", []Tool{tool("a", hello, obj(`"t":{"type":"number"},"u":{"type":"string"}`))}, []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, PropertyRemoved, "output.u", true},
		{"output field may be absent", []Tool{tool("a", hello, obj(`"t":{"type":"number"}`, "t"))}, []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, RequiredRemoved, "output.t", true},
		{"output field always present", []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, []Tool{tool("a", hello, obj(`"t":{"type":"number"}`, "t"))}, RequiredAdded, "output.t", false},
		{"output type widened", []Tool{tool("a", hello, obj(`"t":{"type":"integer"}`))}, []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, TypeWidened, "output.t", true},
		{"output type narrowed", []Tool{tool("a", hello, obj(`"t":{"type":"number"}`))}, []Tool{tool("a", hello, obj(`"t":{"type":"integer"}`))}, TypeNarrowed, "output.t", false},
		{"output enum widened", []Tool{tool("a", hello, obj(`"u":{"enum":["c"]}`))}, []Tool{tool("a", hello, obj(`"u":{"enum":["c","f"]}`))}, EnumWidened, "output.u", true},
		{"output enum narrowed", []Tool{tool("a", hello, obj(`"u":{"enum":["c","f"]}`))}, []Tool{tool("a", hello, obj(`"u":{"enum":["c"]}`))}, EnumNarrowed, "output.u", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Compare(tc.old, tc.new)
			if len(d.Changes) != 1 {
				t.Fatalf("want one change, got %d:\n%s", len(d.Changes), strings.Join(d.Lines(), "\n"))
			}
			c := d.Changes[0]
			if c.Kind != tc.kind || c.Where != tc.where || c.Breaking != tc.breaking {
				t.Errorf("got %+v, want kind %q where %q breaking %v", c, tc.kind, tc.where, tc.breaking)
			}
			if d.Breaking != tc.breaking {
				t.Errorf("Diff.Breaking = %v", d.Breaking)
			}
			if c.Detail == "" || !strings.Contains(c.String(), c.Tool) {
				t.Errorf("change without a readable detail: %q", c.String())
			}
			// The reverse direction is a change too: nothing is lost either way.
			if back := Compare(tc.new, tc.old); back.Empty() {
				t.Error("the reverse comparison found nothing")
			}
		})
	}
}

func TestCompareSummaryAndLists(t *testing.T) {
	t.Parallel()
	old := []Tool{tool("a", hello), tool("b", hello), tool("c", hello)}
	new := []Tool{tool("a", hello), tool("c", obj(`"name":{"type":"string"},"x":{"type":"string"}`, "name", "x")), tool("d", hello)}
	d := Compare(old, new)
	if !slices.Equal(d.Added, []string{"d"}) || !slices.Equal(d.Removed, []string{"b"}) || !slices.Equal(d.Changed, []string{"c"}) || d.Unchanged != 1 {
		t.Fatalf("added %v removed %v changed %v unchanged %d", d.Added, d.Removed, d.Changed, d.Unchanged)
	}
	if !d.Breaking {
		t.Error("a removed tool is not breaking")
	}
	if got := d.Summary(); !strings.Contains(got, "1 tool added") || !strings.Contains(got, "breaking") {
		t.Errorf("summary %q", got)
	}
	if s := Compare(old, old); !s.Empty() || s.Breaking || s.Summary() != "no changes to the tools" || s.Unchanged != 3 {
		t.Errorf("identical lists: %+v", s)
	}
	// JSON field order and whitespace are not changes.
	a := tool("a", `{"type":"object","properties":{"x":{"type":"string"}}}`)
	b := tool("a", `{ "properties": {"x": {"type": "string"}}, "type": "object" }`)
	if d := Compare([]Tool{a}, []Tool{b}); !d.Empty() {
		t.Errorf("reformatted schema reported: %v", d.Lines())
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`[{"name":"a","inputSchema":{"type":"object"}}]`,
		`{"tools":[{"name":"a","inputSchema":{"type":"object"}}]}`,
		`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","inputSchema":{"type":"object"}}]}}`,
	} {
		tools, err := Parse([]byte(in))
		if err != nil || len(tools) != 1 || tools[0].Name != "a" {
			t.Errorf("Parse(%s) = %v, %v", in, tools, err)
		}
	}
	for _, in := range []string{`{}`, `nope`, `[{"inputSchema":{}}]`, `[{"name":"a"},{"name":"a"}]`} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%s) accepted", in)
		}
	}
}
