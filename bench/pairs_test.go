package main

import "testing"

func TestPairGroupsPutsEachGeneratedServerNextToBare(t *testing.T) {
	gl := &server{name: "generated", mode: "stateless"}
	bl := &server{name: "bare go-sdk", mode: "stateless"}
	gf := &server{name: "generated", mode: "stateful"}
	bf := &server{name: "bare go-sdk", mode: "stateful"}
	ts := &server{name: "TypeScript SDK", mode: "stateless"}
	groups := pairGroups([]*server{gl, gf, ts, bf, bl})
	if len(groups) != 3 || len(groups[0]) != 2 || groups[0][1] != bl || groups[1][1] != bf || groups[2][0] != ts {
		t.Fatalf("groups %v: want [generated, bare] per mode and the peer alone", groups)
	}
	// Every server once per round; a pair adjacent, in turn first.
	for shift := range 3 {
		for _, swap := range []bool{false, true} {
			order := roundOrder(groups, shift, swap)
			if len(order) != 5 {
				t.Fatalf("round of %d servers, want 5", len(order))
			}
			at := map[*server]int{}
			for i, s := range order {
				at[s] = i
			}
			want := 1 // bare right after generated
			if swap {
				want = -1
			}
			if at[bl]-at[gl] != want || at[bf]-at[gf] != want {
				t.Fatalf("shift %d swap %v: pairs not adjacent in the expected order", shift, swap)
			}
		}
	}
}

func TestPairedRatioIsTheMedianOfPerRoundRatios(t *testing.T) {
	a, b := &server{}, &server{}
	r := &results{load: map[*server]map[int][]sample{
		// Round speeds drift (the second round is slow for both); the ratio within
		// each round stays 0.5, 0.5 and 2.
		a: {16: {{rate: 100}, {rate: 10}, {rate: 400}}},
		b: {16: {{rate: 200}, {rate: 20}, {rate: 200}}},
	}}
	rate := func(x sample) float64 { return x.rate }
	if got := r.pairedRatio(a, b, 16, rate); got != "0.50×" {
		t.Errorf("paired ratio %s, want 0.50×", got)
	}
	if got := r.pairedRatio(a, b, 64, rate); got != "—" {
		t.Errorf("with no samples: %s, want —", got)
	}
}
