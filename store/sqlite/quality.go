package sqlite

import (
	"encoding/json"
	"fmt"
)

// recordQuality is a call record's quality as stored (migration 9): JSON,
// or "" for none.
func recordQuality(q any) (string, error) {
	if q == nil {
		return "", nil
	}
	b, err := json.Marshal(q)
	if err != nil {
		return "", fmt.Errorf("quality: %w", err)
	}
	return string(b), nil
}
