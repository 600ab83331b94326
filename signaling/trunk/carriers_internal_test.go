package trunk

import (
	"net/netip"
	"slices"
	"testing"
)

func TestSelectCarriers(t *testing.T) {
	cs := []*carrier{
		{cfg: Carrier{ID: "a", Priority: 2}},
		{cfg: Carrier{ID: "b", Priority: 1}},
		{cfg: Carrier{ID: "de", Prefixes: []string{"+49"}, Priority: 5}},
		{cfg: Carrier{ID: "berlin", Prefixes: []string{"4930", "+4989"}, Priority: 9}},
		{cfg: Carrier{ID: "us", Prefixes: []string{"1"}}},
	}
	tests := []struct {
		name, number string
		want         []string
	}{
		{"longest prefix, then shorter, then catch-alls by priority", "+4930123", []string{"berlin", "de", "b", "a"}},
		{"plus ignored", "4989123", []string{"berlin", "de", "b", "a"}},
		{"one prefix", "+4940", []string{"de", "b", "a"}},
		{"no prefix matches", "+331234", []string{"b", "a"}},
		{"us", "15551234", []string{"us", "b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range selectCarriers(cs, tt.number) {
				got = append(got, c.cfg.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("selectCarriers(%q) = %v, want %v", tt.number, got, tt.want)
			}
		})
	}
}

func TestAdmissionUnion(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	tests := []struct {
		name     string
		allow    []netip.Prefix
		carriers []Carrier
		src      string
		want     bool
	}{
		{"empty union: any", nil, []Carrier{{ID: "x", Host: "192.0.2.1"}}, "203.0.113.9", true},
		{"-trunk-allow", []netip.Prefix{p("10.0.0.0/8")}, nil, "10.1.2.3", true},
		{"outside -trunk-allow", []netip.Prefix{p("10.0.0.0/8")}, nil, "192.0.2.1", false},
		{"a trunk's allow", []netip.Prefix{p("10.0.0.0/8")}, []Carrier{{ID: "x", Host: "h", Allow: []netip.Prefix{p("192.0.2.0/24")}}}, "192.0.2.77", true},
		{"a trunk's allow alone closes the door", nil, []Carrier{{ID: "x", Host: "h", Allow: []netip.Prefix{p("192.0.2.0/24")}}}, "198.51.100.1", false},
		{"a registering trunk's address", []netip.Prefix{p("10.0.0.0/8")}, []Carrier{{ID: "r", Host: "198.51.100.5", Register: true}}, "198.51.100.5", true},
		{"a registering trunk alone closes the door", nil, []Carrier{{ID: "r", Host: "198.51.100.5", Register: true}}, "198.51.100.6", false},
		{"an IP-only trunk's host does not count", []netip.Prefix{p("10.0.0.0/8")}, []Carrier{{ID: "x", Host: "198.51.100.5"}}, "198.51.100.5", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &Trunk{cfg: Config{Allow: tt.allow}, carriers: map[string]*carrier{}}
			for _, c := range tt.carriers {
				car := &carrier{cfg: c}
				if ip, err := netip.ParseAddr(c.Host); err == nil {
					car.addrs = []netip.Addr{ip}
				}
				tr.carriers[c.ID] = car
			}
			if got := tr.allowed(a(tt.src)); got != tt.want {
				t.Errorf("allowed(%s) = %v, want %v", tt.src, got, tt.want)
			}
		})
	}
}
