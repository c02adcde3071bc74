package keys

import (
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		k, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if !LooksLikeKey(k) || !strings.HasPrefix(k, Prefix) {
			t.Fatalf("%q is not a well-formed key", k)
		}
		if seen[k] {
			t.Fatalf("duplicate key %q", k)
		}
		seen[k] = true
	}
}

func TestHashIsStable(t *testing.T) {
	t.Parallel()
	// The SHA-256 test vector for "abc"; the generated server computes the same digest.
	if got := Hash("abc"); got != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Hash(abc) = %s", got)
	}
	if len(Fingerprint("abc")) != 8 {
		t.Fatal("fingerprint length")
	}
}

func TestFindAndMask(t *testing.T) {
	t.Parallel()
	k, _ := Generate()
	text := []byte("config: x-api-key=" + k + "\nother: mcpk_short\n")
	found := Find(text)
	if len(found) != 1 || found[0] != k {
		t.Fatalf("Find = %v", found)
	}
	m := Mask(k)
	if strings.Contains(m, k[5:len(k)-4]) || !strings.HasSuffix(m, k[len(k)-4:]) {
		t.Fatalf("Mask(%q) = %q", k, m)
	}
	if !Equal(k, k) || Equal(k, k+"x") {
		t.Fatal("Equal")
	}
}

func TestInEnv(t *testing.T) {
	t.Parallel()
	a, _ := Generate()
	b, _ := Generate()
	got := InEnv(map[string]string{
		"MCP_API_KEY":          a,
		"MCP_API_KEY_ALICE":    b,
		"MCP_API_KEY_HASHES":   Hash(a),
		"MCP_API_KEY_NOTAKEY":  "hello",
		"OTHER_MCP_API_KEY":    b,
		"MCP_API_KEYSTONE_OLD": b,
	})
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("InEnv = %v", got)
	}
	if HashList(got) != Hash(a)+","+Hash(b) {
		t.Fatalf("HashList = %s", HashList(got))
	}
}
