package softphone

import (
	"reflect"
	"testing"
	"time"

	"switchboard/agent"
)

func TestICEServers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name string
		cfg  ICEConfig
		want []agent.ICEServer
	}{
		{"none", ICEConfig{}, nil},
		{"stun only", ICEConfig{URLs: []string{"stun:stun.example.net:3478"}}, []agent.ICEServer{{URLs: []string{"stun:stun.example.net:3478"}}}},
		{"turn without secret", ICEConfig{URLs: []string{"turn:t.example.net"}}, []agent.ICEServer{{URLs: []string{"turn:t.example.net"}}}},
		{"stun and turn with secret", ICEConfig{URLs: []string{"stun:s", "turn:t?transport=tcp", "turns:t:5349"}, TURNSecret: "north", TTL: time.Hour},
			[]agent.ICEServer{{URLs: []string{"stun:s"}}, {URLs: []string{"turn:t?transport=tcp", "turns:t:5349"},
				// printf '1700003600:alice' | openssl dgst -sha1 -hmac north -binary | base64
				Username: "1700003600:alice", Credential: "wjwSXO2ch1B6VaLTLMy2Avn5O9o="}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.servers("alice", now); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("servers(alice) = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTURNCredentialsDefaultTTL(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	got := ICEConfig{URLs: []string{"turn:t"}, TURNSecret: "s"}.servers("bob", now)
	if want := "1700043200:bob"; len(got) != 1 || got[0].Username != want {
		t.Errorf("servers = %+v, want username %s (12 h)", got, want)
	}
}
