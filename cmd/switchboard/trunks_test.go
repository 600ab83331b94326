package main

import (
	"io"
	"testing"
)

func TestDefaultTrunkFromFlags(t *testing.T) {
	env := map[string]string{"SWITCHBOARD_TRUNK_PASSWORD": "pw"}
	c, err := parseConfig([]string{"-trunk", "sip:192.0.2.1:5070;transport=tcp", "-trunk-user", "acct", "-trunk-register", "-trunk-caller-id", "+4930123"},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok, err := defaultTrunk(c)
	if err != nil || !ok {
		t.Fatalf("defaultTrunk = %v, %v", ok, err)
	}
	if tr.ID != "default" || tr.Host != "192.0.2.1" || tr.Port != 5070 || tr.Transport != "tcp" || tr.Username != "acct" ||
		tr.Password != "pw" || !tr.Register || tr.CallerID != "+4930123" {
		t.Errorf("defaultTrunk = %+v", tr)
	}
	if _, ok, _ := defaultTrunk(Config{}); ok {
		t.Error("defaultTrunk without -trunk defined a trunk")
	}
	for _, args := range [][]string{{"-trunk-register"}, {"-trunk", "sip:h", "-trunk-caller-id", "a b"}} {
		if _, err := parseConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) accepted", args)
		}
	}
}
